using System.Net;
using System.Net.Http.Json;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace ChargeLedger.IntegrationTests.Features.Cluster;

/// <summary>
/// Issue 5: a command issued on any node reaches the node that holds the charge point's socket (relayed over
/// PostgreSQL LISTEN/NOTIFY, CommandRelay), and its outcome is visible through every node.
/// </summary>
[Collection(typeof(ClusterCollection))]
public sealed class CrossNodeCommandTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void HotCold(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder) =>
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ChargeLedger:Cluster:Mode"] = "HotCold",
            ["ChargeLedger:Commands:ClaimTimeoutSeconds"] = "2",
        });

    [Fact]
    public async Task a_command_posted_to_one_node_is_sent_by_the_node_holding_the_socket()
    {
        await using var a = new LedgerHost(server) { Configure = HotCold };
        await a.InitializeAsync();
        await using var b = new LedgerHost(server) { Configure = HotCold, SharedConnectionString = a.ConnectionString };
        await b.InitializeAsync();

        var (cp, credentials) = await a.BootedChargePointAsync();
        await using var connected = cp;

        var commandId = await b.CommandAsync(credentials.Id, "UnlockConnector", new { connectorId = 1 });
        var call = await cp.ReceiveServerCallAsync();
        call.Action.ShouldBe("UnlockConnector");
        await cp.AnswerAsync(call, new { status = "Unlocked" });

        (await b.CommandWithStatusAsync(commandId, "Accepted")).GetProperty("response").GetProperty("status").GetString().ShouldBe("Unlocked");
        (await a.CommandStateAsync(commandId)).GetProperty("status").GetString().ShouldBe("Accepted");
    }

    [Fact]
    public async Task a_charge_point_connected_nowhere_is_409_and_a_relayed_command_nobody_claims_fails()
    {
        await using var a = new LedgerHost(server) { Configure = HotCold };
        await a.InitializeAsync();

        var offline = await a.RegisteredChargePointAsync();
        (await a.Api(Roles.Operator).PostAsJsonAsync($"/api/chargepoints/{offline.Id}/commands", new { action = "ClearCache", payload = new { } }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.Conflict);

        // Its stream says connected (a node died without recording the disconnect), but no node holds a socket for it:
        // the relayed command is claimed by nobody and fails after the claim timeout.
        var ghost = await a.RegisteredChargePointAsync();
        await using (var session = a.Store.LightweightSession())
        {
            session.Events.Append(Shared.StreamKeys.ChargePoint(ghost.Id),
                new ChargePoints.ChargePointConnected(ghost.Id, "connection-of-a-dead-node", null, DateTimeOffset.UtcNow));
            await session.SaveChangesAsync(Ct);
        }

        var commandId = await a.CommandAsync(ghost.Id, "ClearCache", new { });
        var state = await Eventually.ReturnsAsync(() => a.CommandStateAsync(commandId),
            c => c.GetProperty("status").GetString() != "Requested", "the unclaimed command ends");
        state.GetProperty("status").GetString().ShouldBe("Failed");
        state.GetProperty("reason").GetString().ShouldBe("No node holds the charge point's connection");
    }
}
