using System.Text.Json;
using ChargeLedger.Commands;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Shared;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ChargeLedger.IntegrationTests.Features.Commands;

/// <summary>
/// A command whose node died mid-way (issue 5) would stay Requested or Sent for ever: the sweeper fails it once its node
/// holds no liveness lock, and leaves alone the commands of live nodes and those that ended meanwhile.
/// </summary>
[Collection(typeof(CommandCollection))]
public sealed class CommandSweeperTests(LedgerHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A command recorded and sent by <paramref name="nodeId"/> two minutes ago, as that node would have left it.</summary>
    private async Task<string> SentByAsync(string nodeId, params object[] more)
    {
        var chargePoint = await host.RegisteredChargePointAsync();
        var commandId = "cmd-" + Guid.NewGuid().ToString("N");
        var at = DateTimeOffset.UtcNow.AddMinutes(-2);
        await using var session = host.Store.LightweightSession();
        session.Events.StartStream(StreamKeys.Command(commandId), [
            new CommandRequested(commandId, chargePoint.Id, "Reset", JsonDocument.Parse("""{"type":"Soft"}""").RootElement, "operator", at),
            new CommandSent(commandId, "m-1", at, nodeId),
            .. more,
        ]);
        session.Store(new OpenCommand { Id = commandId, ChargePointId = chargePoint.Id, NodeId = nodeId, Since = at });
        await session.SaveChangesAsync(Ct);
        return commandId;
    }

    private async Task<int> SweepAsync()
    {
        await using var connection = await host.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(Ct);
        return await host.Services.GetRequiredService<CommandSweeper>().SweepAsync(connection, Ct);
    }

    private async Task<bool> IndexedAsync(string commandId)
    {
        await using var query = host.Store.QuerySession();
        return await query.LoadAsync<OpenCommand>(commandId, Ct) is not null;
    }

    [Fact]
    public async Task the_command_of_a_node_that_died_is_failed_with_the_reason()
    {
        var commandId = await SentByAsync("node-that-died-" + Guid.NewGuid().ToString("N")[..6]);

        (await SweepAsync()).ShouldBeGreaterThanOrEqualTo(1);

        var failed = await host.CommandStateAsync(commandId);
        failed.GetProperty("status").GetString().ShouldBe("Failed");
        failed.GetProperty("reason").GetString()!.ShouldContain("stopped before its outcome");
        (await IndexedAsync(commandId)).ShouldBeFalse();
    }

    [Fact]
    public async Task the_command_of_a_live_node_is_left_alone_however_old()
    {
        var alive = "node-alive-" + Guid.NewGuid().ToString("N")[..6];
        await using var liveness = await host.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(Ct);
        await using (var hold = new NpgsqlCommand("select pg_advisory_lock($1, $2)", liveness))
        {
            hold.Parameters.AddWithValue(NodeIdentity.LockClass);
            hold.Parameters.AddWithValue(NodeIdentity.LockKey(alive));
            await hold.ExecuteNonQueryAsync(Ct);
        }

        var commandId = await SentByAsync(alive);
        await SweepAsync();

        (await host.CommandStateAsync(commandId)).GetProperty("status").GetString().ShouldBe("Sent");
        (await IndexedAsync(commandId)).ShouldBeTrue();
    }

    [Fact]
    public async Task a_command_that_ended_meanwhile_only_loses_its_index()
    {
        var commandId = await SentByAsync("node-gone-" + Guid.NewGuid().ToString("N")[..6],
            new CommandAccepted("x", JsonDocument.Parse("""{"status":"Accepted"}""").RootElement, DateTimeOffset.UtcNow));
        var version = await host.StreamVersionAsync(StreamKeys.Command(commandId));

        await SweepAsync();

        (await host.StreamVersionAsync(StreamKeys.Command(commandId))).ShouldBe(version);
        (await IndexedAsync(commandId)).ShouldBeFalse();
    }

    [Fact]
    public async Task a_command_that_ends_normally_leaves_no_index_behind()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var connected = cp;
        var commandId = await host.CommandAsync(credentials.Id, "ClearCache", new { });
        (await IndexedAsync(commandId)).ShouldBeTrue();
        await cp.AnswerAsync(await cp.ReceiveServerCallAsync(), new { status = "Accepted" });

        await host.CommandWithStatusAsync(commandId, "Accepted");
        (await IndexedAsync(commandId)).ShouldBeFalse();
    }
}
