using System.Globalization;
using ChargeLedger.IntegrationTests.Features.Cluster;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Ocpp.Gateway;
using ChargeLedger.Shared;
using ChargeLedger.Tests.Mqtt;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ChargeLedger.IntegrationTests.Features.Bridge;

/// <summary>
/// Two nodes on one PostgreSQL split the charge points' CALLs through one shared subscription ($share). Mosquitto hands
/// them out round-robin, so one charge point's CALLs land on both nodes in turn: the ledger's optimistic concurrency
/// (reload and decide again) keeps every stream exact, and every CALL is answered once.
/// </summary>
[Collection(typeof(ClusterCollection))]
public sealed class SharedBridgeTests(PostgresServer server, MosquittoFixture mosquitto) : IClassFixture<MosquittoFixture>
{
    private const int ChargePoints = 10;
    private const int Transfers = 3;

    private Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder> Node(string name) => builder =>
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ChargeLedger:Cluster:Mode"] = "HotCold",
            ["ChargeLedger:Mqtt:ExternalBroker:Host"] = "127.0.0.1",
            ["ChargeLedger:Mqtt:ExternalBroker:Port"] = mosquitto.Port.ToString(CultureInfo.InvariantCulture),
            ["ChargeLedger:Mqtt:ExternalBroker:Username"] = MosquittoFixture.ConsumerUser,
            ["ChargeLedger:Mqtt:ExternalBroker:Password"] = MosquittoFixture.Password,
            ["ChargeLedger:Mqtt:ExternalBroker:ClientId"] = $"telemetry-{name}-{Guid.NewGuid():N}",
            ["ChargeLedger:Mqtt:OcppBridge:Enabled"] = "true",
            ["ChargeLedger:Mqtt:OcppBridge:ClientId"] = $"bridge-{name}-{Guid.NewGuid():N}",
            ["ChargeLedger:Mqtt:OcppBridge:SharedGroup"] = "chargeledger",
            ["ChargeLedger:Mqtt:OcppBridge:ConnectivityTopic"] = FakeEmqxGateway.ConnectivityFilter,
        });

    [Fact]
    public async Task two_nodes_split_the_calls_and_every_stream_stays_exact()
    {
        Assert.SkipUnless(mosquitto.Available, MosquittoFixture.MissingMessage);
        await using var a = new LedgerHost(server) { Configure = Node("a") };
        await a.InitializeAsync();
        await using var b = new LedgerHost(server) { Configure = Node("b"), SharedConnectionString = a.ConnectionString };
        await b.InitializeAsync();
        await using var emqx = await FakeEmqxGateway.ConnectAsync(mosquitto.Port, MosquittoFixture.PublisherUser, MosquittoFixture.Password);

        // Both nodes are subscribed once both have answered a probe's Heartbeat (the broker alternates between them).
        var probe = await a.RegisteredChargePointAsync();
        await Eventually.ReturnsAsync(async () =>
        {
            try
            {
                await emqx.CallAsync(probe.Id, "Heartbeat", new { }, timeout: TimeSpan.FromMilliseconds(500));
            }
            catch (ShouldAssertException)
            {
                // not subscribed yet: the broker dropped it
            }

            return Holding(a, probe.Id) && Holding(b, probe.Id);
        }, both => both, "both nodes take the probe's CALLs");

        var chargePoints = new List<ChargePointCredentials>();
        for (var i = 0; i < ChargePoints; i++)
        {
            chargePoints.Add(await a.RegisteredChargePointAsync());
        }

        await Task.WhenAll(chargePoints.Select(async cp =>
        {
            await emqx.ConnectedAsync(cp.Id, DateTimeOffset.UtcNow);
            var boot = await emqx.CallAsync(cp.Id, "BootNotification", new { chargePointVendor = "VendorX", chargePointModel = "ModelY" });
            boot.GetProperty("MessageTypeId").GetInt32().ShouldBe(3, boot.ToString());
            for (var t = 0; t < Transfers; t++)
            {
                var answer = await emqx.CallAsync(cp.Id, "DataTransfer", new { vendorId = "com.example", data = $"{t}" });
                answer.GetProperty("MessageTypeId").GetInt32().ShouldBe(3, answer.ToString());
            }
        }));

        foreach (var cp in chargePoints)
        {
            var events = (await a.StreamAsync(StreamKeys.ChargePoint(cp.Id))).Select(e => e.EventTypeName).ToList();
            events.Count(e => e == "charge_point_booted").ShouldBe(1, string.Join(", ", events));
            events.Count(e => e == "data_transfer_received").ShouldBe(Transfers, string.Join(", ", events));
            events.Count(e => e == "charge_point_connected").ShouldBe(1, string.Join(", ", events));
        }

        chargePoints.Count(cp => Holding(a, cp.Id)).ShouldBeGreaterThan(0, "node a took some charge points' CALLs");
        chargePoints.Count(cp => Holding(b, cp.Id)).ShouldBeGreaterThan(0, "node b took some charge points' CALLs");
    }

    private static bool Holding(LedgerHost host, string chargePointId) =>
        host.Services.GetRequiredService<ConnectionRegistry>().Find(chargePointId) is not null;
}
