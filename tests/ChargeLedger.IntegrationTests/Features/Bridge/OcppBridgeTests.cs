using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.ChargePoints;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Ocpp.Schemas;
using ChargeLedger.Shared;
using ChargeLedger.Tests.Mqtt;
using Microsoft.Extensions.Configuration;

namespace ChargeLedger.IntegrationTests.Features.Bridge;

/// <summary>
/// A host with the OCPP bridge on (ChargeLedger:Mqtt:OcppBridge) against a real Mosquitto, and a
/// <see cref="FakeEmqxGateway"/> publishing what EMQX's OCPP gateway would. Ready once a probe's Heartbeat is answered,
/// so the bridge is surely subscribed.
/// </summary>
public sealed class BridgeHost(PostgresServer server) : IAsyncLifetime
{
    public MosquittoFixture Mosquitto { get; } = new();

    public LedgerHost Host { get; private set; } = null!;

    public FakeEmqxGateway Emqx { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Mosquitto.InitializeAsync();
        if (!Mosquitto.Available)
        {
            return;
        }

        Host = new LedgerHost(server)
        {
            Configure = builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ChargeLedger:Mqtt:ExternalBroker:Host"] = "127.0.0.1",
                ["ChargeLedger:Mqtt:ExternalBroker:Port"] = Mosquitto.Port.ToString(CultureInfo.InvariantCulture),
                ["ChargeLedger:Mqtt:ExternalBroker:Username"] = MosquittoFixture.ConsumerUser,
                ["ChargeLedger:Mqtt:ExternalBroker:Password"] = MosquittoFixture.Password,
                // The telemetry consumer runs beside the bridge under its own client id, as in production.
                ["ChargeLedger:Mqtt:ExternalBroker:ClientId"] = $"telemetry-{Guid.NewGuid():N}",
                ["ChargeLedger:Mqtt:ExternalBroker:ReconnectMinDelayMilliseconds"] = "100",
                ["ChargeLedger:Mqtt:OcppBridge:Enabled"] = "true",
                ["ChargeLedger:Mqtt:OcppBridge:ClientId"] = $"bridge-{Guid.NewGuid():N}",
                ["ChargeLedger:Mqtt:OcppBridge:ConnectivityTopic"] = FakeEmqxGateway.ConnectivityFilter,
                ["ChargeLedger:Ocpp:CallTimeoutSeconds"] = "5",
            }),
        };
        await Host.InitializeAsync();
        Emqx = await FakeEmqxGateway.ConnectAsync(Mosquitto.Port, MosquittoFixture.PublisherUser, MosquittoFixture.Password);

        var probe = await Host.RegisteredChargePointAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                await Emqx.CallAsync(probe.Id, "Heartbeat", new { }, timeout: TimeSpan.FromMilliseconds(500));
                return;
            }
            catch (ShouldAssertException) when (!deadline.IsCancellationRequested)
            {
                // Not subscribed yet: the broker dropped the probe; publish another.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Mosquitto.Available)
        {
            await Emqx.DisposeAsync();
            await Host.DisposeAsync();
        }

        await Mosquitto.DisposeAsync();
    }
}

[CollectionDefinition]
public sealed class BridgeCollection : ICollectionFixture<BridgeHost>;

[Collection(typeof(BridgeCollection))]
public sealed class OcppBridgeTests(BridgeHost fixture)
{
    private static readonly string[] HeartbeatIntervalKey = ["HeartbeatInterval"];

    private LedgerHost Host => fixture.Host;

    private FakeEmqxGateway Emqx => fixture.Emqx;

    private async Task<ChargePointCredentials> BridgedChargePointAsync()
    {
        Assert.SkipUnless(fixture.Mosquitto.Available, MosquittoFixture.MissingMessage);
        var cp = await Host.RegisteredChargePointAsync();
        await Emqx.ConnectedAsync(cp.Id, DateTimeOffset.UtcNow);
        return cp;
    }

    private async Task<JsonElement> ResultAsync(string chargePointId, string action, object payload, string? uniqueId = null)
    {
        var answer = await Emqx.CallAsync(chargePointId, action, payload, uniqueId);
        answer.GetProperty("MessageTypeId").GetInt32().ShouldBe(3, answer.ToString());
        var result = answer.GetProperty("Payload");
        OcppSchemaValidator.Ocpp16.ValidateResponse(action, result).ShouldBeNull($"{action}.conf {result}");
        return result;
    }

    private async Task<IReadOnlyList<string>> ChargePointEventsAsync(string chargePointId) =>
        [.. (await Host.StreamAsync(StreamKeys.ChargePoint(chargePointId))).Select(e => e.EventTypeName)];

    [Fact]
    public async Task a_charge_point_behind_emqx_runs_a_whole_session_through_the_same_handlers_heartbeat_included()
    {
        var cp = await BridgedChargePointAsync();
        var idTag = await Host.IssuedIdTagAsync();

        (await ResultAsync(cp.Id, "BootNotification", new { chargePointVendor = "VendorX", chargePointModel = "ModelY" }))
            .GetProperty("status").GetString().ShouldBe("Accepted");
        (await ResultAsync(cp.Id, "Heartbeat", new { })).GetProperty("currentTime").GetString().ShouldNotBeNull();
        await ResultAsync(cp.Id, "StatusNotification", new { connectorId = 1, errorCode = "NoError", status = "Preparing" });
        (await ResultAsync(cp.Id, "Authorize", new { idTag })).GetProperty("idTagInfo").GetProperty("status").GetString().ShouldBe("Accepted");
        var start = await ResultAsync(cp.Id, "StartTransaction",
            new { connectorId = 1, idTag, meterStart = 1000, timestamp = Scenarios.SessionStart.ToString("O") });
        var transactionId = start.GetProperty("transactionId").GetInt32();
        await ResultAsync(cp.Id, "MeterValues", new
        {
            connectorId = 1,
            transactionId,
            meterValue = new[]
            {
                new
                {
                    timestamp = Scenarios.SessionStart.AddMinutes(10).ToString("O"),
                    sampledValue = new[] { new { value = "2500", measurand = "Energy.Active.Import.Register", unit = "Wh" } },
                },
            },
        });
        await ResultAsync(cp.Id, "StopTransaction",
            new { transactionId, meterStop = 4000, timestamp = Scenarios.SessionStart.AddMinutes(30).ToString("O"), reason = "Local" });

        var events = await ChargePointEventsAsync(cp.Id);
        events.ShouldContain("charge_point_connected");
        events.ShouldContain("charge_point_booted");
        await Host.WaitForProjectionsAsync();
        var transaction = await Host.Api(Roles.Operator).GetJsonAsync($"/api/transactions/{cp.Id}:{transactionId}");
        transaction.GetProperty("status").GetString().ShouldBe("Completed");
        transaction.GetProperty("energyWh").GetInt64().ShouldBe(3000);
        var connected = (await Host.StreamAsync(StreamKeys.ChargePoint(cp.Id))).Select(e => e.Data).OfType<ChargePointConnected>().Single();
        connected.ConnectionId.ShouldStartWith("emqx:");
        connected.RemoteAddress.ShouldBe("192.0.2.10");
    }

    [Fact]
    public async Task a_call_delivered_twice_is_answered_twice_and_decided_once()
    {
        var cp = await BridgedChargePointAsync();
        var idTag = await Host.IssuedIdTagAsync();
        await ResultAsync(cp.Id, "BootNotification", new { chargePointVendor = "VendorX", chargePointModel = "ModelY" });
        var start = new { connectorId = 1, idTag, meterStart = 0, timestamp = Scenarios.SessionStart.ToString("O") };

        var first = await ResultAsync(cp.Id, "StartTransaction", start, uniqueId: "start-1");
        var version = await Host.StreamVersionAsync(StreamKeys.ChargePoint(cp.Id));
        var again = await ResultAsync(cp.Id, "StartTransaction", start, uniqueId: "start-1");

        again.GetProperty("transactionId").GetInt32().ShouldBe(first.GetProperty("transactionId").GetInt32());
        (await Host.StreamVersionAsync(StreamKeys.ChargePoint(cp.Id))).ShouldBe(version);

        // DataTransfer is kept every time it is decided, so only the remembered answer keeps the copy out of the ledger.
        var transfer = new { vendorId = "com.example", data = "x" };
        await ResultAsync(cp.Id, "DataTransfer", transfer, uniqueId: "transfer-1");
        await ResultAsync(cp.Id, "DataTransfer", transfer, uniqueId: "transfer-1");
        (await ChargePointEventsAsync(cp.Id)).Count(e => e == "data_transfer_received").ShouldBe(1);
    }

    [Fact]
    public async Task operator_commands_go_out_one_at_a_time_in_the_envelope_and_their_replies_come_back_on_reply()
    {
        var cp = await BridgedChargePointAsync();
        await ResultAsync(cp.Id, "BootNotification", new { chargePointVendor = "VendorX", chargePointModel = "ModelY" });

        var clear = await Host.CommandAsync(cp.Id, "ClearCache", new { });
        var configuration = await Host.CommandAsync(cp.Id, "GetConfiguration", new { key = HeartbeatIntervalKey });
        var first = (await Emqx.ServerCallAsync(cp.Id)).ShouldNotBeNull("the first command goes out");
        first.GetProperty("Action").GetString().ShouldBe("ClearCache");
        // EMQX does not serialise our calls; the bridge does: nothing more while ClearCache is unanswered.
        (await Emqx.ServerCallAsync(cp.Id, TimeSpan.FromMilliseconds(500))).ShouldBeNull();

        await Emqx.ReplyAsync(cp.Id, first.GetProperty("UniqueId").GetString()!, new { status = "Accepted" });
        await Host.CommandWithStatusAsync(clear, "Accepted");
        var second = (await Emqx.ServerCallAsync(cp.Id)).ShouldNotBeNull("the queued command goes out next");
        second.GetProperty("Action").GetString().ShouldBe("GetConfiguration");
        await Emqx.ReplyAsync(cp.Id, second.GetProperty("UniqueId").GetString()!,
            new { configurationKey = new[] { new { key = "HeartbeatInterval", @readonly = false, value = "300" } } });

        await Host.CommandWithStatusAsync(configuration, "Accepted");
        await Eventually.ReturnsAsync(() => ChargePointEventsAsync(cp.Id), e => e.Contains("charge_point_configuration_reported"),
            "the configuration is kept on the charge point");
    }

    [Fact]
    public async Task connectivity_comes_from_emqx_and_a_stale_disconnect_is_ignored()
    {
        var cp = await BridgedChargePointAsync();
        await Eventually.ReturnsAsync(() => ChargePointEventsAsync(cp.Id), e => e.Contains("charge_point_connected"), "connected is recorded");

        // A disconnect older than the current connection (EMQX delivered it late) changes nothing.
        await Emqx.DisconnectedAsync(cp.Id, DateTimeOffset.UtcNow.AddMinutes(-5));
        await ResultAsync(cp.Id, "Heartbeat", new { });
        (await ChargePointEventsAsync(cp.Id)).ShouldNotContain("charge_point_disconnected");

        await Emqx.DisconnectedAsync(cp.Id, DateTimeOffset.UtcNow.AddSeconds(1), reason: "keepalive_timeout");
        await Eventually.ReturnsAsync(() => ChargePointEventsAsync(cp.Id), e => e.Contains("charge_point_disconnected"), "disconnected is recorded");
        var disconnected = (await Host.StreamAsync(StreamKeys.ChargePoint(cp.Id))).Select(e => e.Data).OfType<ChargePointDisconnected>().Single();
        disconnected.Reason.ShouldContain("keepalive_timeout");

        var response = await Host.Api(Roles.Operator).PostAsJsonAsync($"/api/chargepoints/{cp.Id}/commands", new { action = "ClearCache", payload = new { } },
            TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task a_new_emqx_connection_replaces_the_session_and_the_charge_point_goes_on()
    {
        var cp = await BridgedChargePointAsync();
        await ResultAsync(cp.Id, "BootNotification", new { chargePointVendor = "VendorX", chargePointModel = "ModelY" });

        // The charge point reconnected to EMQX (its old connection's disconnected message not seen first).
        await Emqx.ConnectedAsync(cp.Id, DateTimeOffset.UtcNow.AddSeconds(5));
        await Eventually.ReturnsAsync(() => ChargePointEventsAsync(cp.Id), e => e.Contains("charge_point_connection_replaced"),
            "the new connection replaces the old one");
        await ResultAsync(cp.Id, "Heartbeat", new { });

        var command = await Host.CommandAsync(cp.Id, "ClearCache", new { });
        var call = (await Emqx.ServerCallAsync(cp.Id)).ShouldNotBeNull("the command reaches the new session");
        await Emqx.ReplyAsync(cp.Id, call.GetProperty("UniqueId").GetString()!, new { status = "Accepted" });
        await Host.CommandWithStatusAsync(command, "Accepted");
        (await ChargePointEventsAsync(cp.Id)).ShouldNotContain("charge_point_disconnected");
    }

    [Fact]
    public async Task an_unknown_charge_point_is_refused_and_a_malformed_envelope_is_answered_with_a_formation_violation()
    {
        Assert.SkipUnless(fixture.Mosquitto.Available, MosquittoFixture.MissingMessage);
        var stranger = LedgerHost.NewId("CP");
        var refused = await Emqx.CallAsync(stranger, "BootNotification", new { chargePointVendor = "V", chargePointModel = "M" });
        refused.GetProperty("MessageTypeId").GetInt32().ShouldBe(4);
        refused.GetProperty("ErrorCode").GetString().ShouldBe("SecurityError");
        (await Host.StreamVersionAsync(StreamKeys.ChargePoint(stranger))).ShouldBe(0);

        var cp = await BridgedChargePointAsync();
        await Emqx.PublishRawAsync($"ocpp/cp/{cp.Id}", """{"MessageTypeId":2,"UniqueId":"bad-1","Action":"Heartbeat","Payload":[]}""");
        var answer = await Emqx.AnswerToAsync(cp.Id, "bad-1");
        answer.GetProperty("MessageTypeId").GetInt32().ShouldBe(4);
        answer.GetProperty("ErrorCode").GetString().ShouldBe("FormationViolation");
    }
}
