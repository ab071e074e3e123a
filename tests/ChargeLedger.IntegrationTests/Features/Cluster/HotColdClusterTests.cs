using System.Diagnostics;
using System.Net;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Projections.Admin;
using ChargeLedger.Shared;
using ChargeLedger.Transactions;
using JasperFx;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using ProjectionCoordinator = Marten.Events.Daemon.Coordination.IProjectionCoordinator;

namespace ChargeLedger.IntegrationTests.Features.Cluster;

[CollectionDefinition]
public sealed class ClusterCollection;

/// <summary>
/// Two hosts on one database with ChargeLedger:Cluster:Mode = HotCold (issue 5, ops/cluster.md): every async projection
/// and subscription shard runs on exactly one node (the holder of its PostgreSQL advisory lock), and the other node
/// takes over when that one stops. Each test builds its own pair on a fresh database.
/// </summary>
[Collection(typeof(ClusterCollection))]
public sealed class HotColdClusterTests(PostgresServer server)
{
    private const string AdminPath = "/api/admin/projections";

    /// <summary>A follower retries the locks it does not hold this often (Marten's default is 5000 ms).</summary>
    private const int LeadershipPollingMilliseconds = 500;

    private static readonly TimeSpan TakeoverBound = TimeSpan.FromSeconds(15);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task events_written_through_one_node_are_projected_once_by_the_node_that_leads()
    {
        await using var leader = await StartedLeaderAsync();
        await using var follower = await StartedNodeAsync(leader.ConnectionString);
        var shards = AllShards(leader);
        shards.ShouldContain(TransactionPricingSubscription.SubscriptionNameValue + ":All");
        shards.ShouldContain(ChargeLedger.Alarms.AlarmSubscription.SubscriptionName + ":All");

        var transactionId = await CompletedTransactionAsync(leader);
        var priced = await leader.PricedStreamAsync(transactionId);

        priced.Count(e => e.Data is TransactionPriced).ShouldBe(1);
        RunningShards(leader).ShouldBe(shards, ignoreOrder: true);
        RunningShards(follower).ShouldBeEmpty();
        await ShouldBeCaughtUpAsync(leader);
        await NoDurableWolverineEnvelopesAsync(leader);

        // The read models are the same through either node (one database), and right.
        foreach (var node in new[] { leader, follower })
        {
            var transaction = await node.Api(Roles.Finance).GetJsonAsync($"/api/transactions/{transactionId}");
            transaction.GetProperty("status").GetString().ShouldBe("Completed");
            transaction.GetProperty("energyWh").GetInt64().ShouldBe(1000);
        }

        // The admin view is honest on each node: running where the shards run, standby (with the leader's progress) elsewhere.
        var onLeader = await ProjectionRowsAsync(leader);
        var onFollower = await ProjectionRowsAsync(follower);
        onLeader.ShouldAllBe(r => r.State == ProjectionAdminEndpoints.Running, string.Join("; ", onLeader));
        onFollower.Where(r => r.Lifecycle == "Async").ShouldAllBe(r => r.State == ProjectionAdminEndpoints.Standby, string.Join("; ", onFollower));
        onFollower.Where(r => r.Lifecycle == "Inline").ShouldAllBe(r => r.State == ProjectionAdminEndpoints.Running);
        onFollower.Select(r => (r.Name, r.Position)).ShouldBe(onLeader.Select(r => (r.Name, r.Position)));
        onFollower.ShouldAllBe(r => r.Position == r.HighWaterMark);

        // A rebuild only where the projection runs: on the follower two daemons would write it.
        var asyncProjection = onFollower.First(r => r.Lifecycle == "Async").Name;
        var refused = await follower.Api(Roles.Developer).PostAsync($"{AdminPath}/{asyncProjection}/rebuild", null, Ct);
        var problem = await refused.ReadJsonAsync(HttpStatusCode.Conflict);
        problem.GetProperty("detail").GetString()!.ShouldContain("does not run projection " + asyncProjection);
        (await leader.Api(Roles.Developer).PostAsync($"{AdminPath}/{asyncProjection}/rebuild", null, Ct)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually.ReturnsAsync(() => LastRebuildAsync(leader, asyncProjection), s => s is "Completed" or "Failed", "the rebuild on the leader finished");
        (await LastRebuildAsync(leader, asyncProjection)).ShouldBe("Completed");
        await leader.WaitForProjectionsAsync();
        RunningShards(follower).ShouldBeEmpty();
    }

    [Fact]
    public async Task when_the_leader_stops_the_other_node_takes_over_and_projects_what_is_written_through_it()
    {
        var leader = await StartedLeaderAsync();
        await using var survivor = await StartedNodeAsync(leader.ConnectionString);
        var shards = AllShards(leader);
        var before = await CompletedTransactionAsync(leader);
        await leader.PricedStreamAsync(before);
        RunningShards(survivor).ShouldBeEmpty();

        var clock = Stopwatch.StartNew();
        await leader.DisposeAsync();
        var stopped = clock.Elapsed;
        await Eventually.ReturnsAsync(() => Task.FromResult(RunningShards(survivor)), running => running.Count == shards.Count,
            "the surviving node runs every projection and subscription shard", TakeoverBound);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"Leader stopped in {stopped.TotalSeconds:0.00} s; the other node ran all {shards.Count} shards {(clock.Elapsed - stopped).TotalSeconds:0.00} s later " +
            $"(leadership polling {LeadershipPollingMilliseconds} ms).");

        var after = await CompletedTransactionAsync(survivor);
        var priced = await survivor.PricedStreamAsync(after);

        priced.Count(e => e.Data is TransactionPriced).ShouldBe(1);
        (await survivor.StreamAsync(StreamKeys.Transaction(before))).Count(e => e.Data is TransactionPriced).ShouldBe(1);
        await ShouldBeCaughtUpAsync(survivor);
        var transaction = await survivor.Api(Roles.Finance).GetJsonAsync($"/api/transactions/{after}");
        transaction.GetProperty("status").GetString().ShouldBe("Completed");
        (await ProjectionRowsAsync(survivor)).ShouldAllBe(r => r.State == ProjectionAdminEndpoints.Running);
    }

    private static Action<WebApplicationBuilder> HotCold => builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["ChargeLedger:Cluster:Mode"] = "HotCold",
        ["ChargeLedger:Cluster:LeadershipPollingMilliseconds"] = LeadershipPollingMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    /// <summary>A first node on a fresh database, waited for until it holds every shard (so the pair's leader is known).</summary>
    private async Task<LedgerHost> StartedLeaderAsync()
    {
        var node = new LedgerHost(server) { Configure = HotCold };
        await node.InitializeAsync();
        var shards = AllShards(node);
        await Eventually.ReturnsAsync(() => Task.FromResult(RunningShards(node)), running => running.Count == shards.Count,
            "the first node runs every shard", TakeoverBound);
        return node;
    }

    private async Task<LedgerHost> StartedNodeAsync(string connectionString)
    {
        var node = new LedgerHost(server) { Configure = HotCold, SharedConnectionString = connectionString };
        await node.InitializeAsync();
        return node;
    }

    /// <summary>Every async projection and subscription shard the daemon distributes (one advisory lock each).</summary>
    private static List<string> AllShards(LedgerHost node) =>
        [.. ((DocumentStore)node.Store).Options.Projections.AllShards().Select(s => s.Name.Identity).Order(StringComparer.Ordinal)];

    /// <summary>The shards this node's daemon is running now.</summary>
    private static List<string> RunningShards(LedgerHost node) =>
        [.. node.Services.GetRequiredService<ProjectionCoordinator>().DaemonForMainDatabase().CurrentAgents()
            .Where(a => a.Status == AgentStatus.Running)
            .Select(a => a.Name.Identity)
            .Order(StringComparer.Ordinal)];

    /// <summary>Booted through the node's OCPP socket, charged 1 kWh and stopped; returns the transaction id.</summary>
    private static async Task<string> CompletedTransactionAsync(LedgerHost node)
    {
        var (cp, credentials) = await node.BootedChargePointAsync();
        await using (cp)
        {
            var started = await cp.StartTransactionAsync(await node.IssuedIdTagAsync(), meterStart: 1000);
            await cp.StopTransactionAsync(started.TransactionId, 2000, started.StartedAt.AddMinutes(20));
            return StreamKeys.TransactionId(credentials.Id, started.TransactionId);
        }
    }

    private static async Task ShouldBeCaughtUpAsync(LedgerHost node)
    {
        await node.WaitForProjectionsAsync();
        var progress = await node.Store.Advanced.AllProjectionProgress(token: Ct);
        var highWater = progress.Single(p => p.ShardName == ShardState.HighWaterMark).Sequence;
        var stats = await node.Store.Advanced.FetchEventStoreStatistics(token: Ct);
        highWater.ShouldBe(stats.EventSequenceNumber);
        foreach (var shard in AllShards(node))
        {
            progress.Single(p => p.ShardName == shard).Sequence.ShouldBe(highWater, shard);
        }
    }

    /// <summary>Wolverine stays in DurabilityMode.Solo on every node: safe because nothing is ever persisted in its inbox or outbox.</summary>
    private static async Task NoDurableWolverineEnvelopesAsync(LedgerHost node)
    {
        await using var command = node.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(
            "select (select count(*) from wolverine.wolverine_incoming_envelopes) + (select count(*) from wolverine.wolverine_outgoing_envelopes)");
        ((long)(await command.ExecuteScalarAsync(Ct))!).ShouldBe(0);
    }

    private sealed record Row(string Name, string Lifecycle, string State, long Position, long HighWaterMark);

    private static async Task<List<Row>> ProjectionRowsAsync(LedgerHost node) =>
        [.. (await node.Api(Roles.Developer).GetJsonAsync(AdminPath)).EnumerateArray().Select(r => new Row(
            r.GetProperty("name").GetString()!, r.GetProperty("lifecycle").GetString()!, r.GetProperty("state").GetString()!,
            r.GetProperty("lastProcessedSequence").GetInt64(), r.GetProperty("highWaterMark").GetInt64()))];

    private static async Task<string?> LastRebuildAsync(LedgerHost node, string projection)
    {
        var row = (await node.Api(Roles.Developer).GetJsonAsync(AdminPath)).EnumerateArray()
            .Single(r => r.GetProperty("name").GetString() == projection);
        return row.GetProperty("lastRebuild") is { ValueKind: JsonValueKind.Object } rebuild ? rebuild.GetProperty("status").GetString() : null;
    }
}
