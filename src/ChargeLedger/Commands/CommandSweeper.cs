using System.Text;
using ChargeLedger.Shared;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ChargeLedger.Commands;

/// <summary>
/// An operator command that has not ended yet, and the node running it (the one that recorded it, or that claimed or
/// sent it): written with CommandRequested and CommandSent, deleted with the outcome. The sweeper reads only these.
/// </summary>
public sealed class OpenCommand
{
    public string Id { get; set; } = "";

    public string ChargePointId { get; set; } = "";

    public string NodeId { get; set; } = "";

    public DateTimeOffset Since { get; set; }
}

/// <summary>This process among the nodes: a fresh id per start, alive while it holds its PostgreSQL advisory lock.</summary>
public sealed class NodeIdentity
{
    /// <summary>The advisory lock class of node liveness ("CLND"); the two-key form never meets Marten's one-key locks.</summary>
    public const int LockClass = 0x434C4E44;

    public string Id { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>FNV-1a of the id: stable across processes, which is all a lock key needs.</summary>
    public static int LockKey(string nodeId)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(nodeId))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return unchecked((int)hash);
    }

    /// <summary>True while the node holds its lock; a node that died (or lost its database session) holds none.</summary>
    public static async Task<bool> IsAliveAsync(NpgsqlConnection connection, string nodeId, CancellationToken cancellationToken)
    {
        await using var probe = new NpgsqlCommand("select pg_try_advisory_lock($1, $2)", connection);
        probe.Parameters.AddWithValue(LockClass);
        probe.Parameters.AddWithValue(LockKey(nodeId));
        if (!(bool)(await probe.ExecuteScalarAsync(cancellationToken))!)
        {
            return true;
        }

        await using var release = new NpgsqlCommand("select pg_advisory_unlock($1, $2)", connection);
        release.Parameters.AddWithValue(LockClass);
        release.Parameters.AddWithValue(LockKey(nodeId));
        await release.ExecuteNonQueryAsync(cancellationToken);
        return false;
    }
}

/// <summary>
/// Ends the commands of nodes that died mid-way (issue 5): every node holds its liveness lock on a connection of its own,
/// and every <see cref="CommandRelayOptions.SweepIntervalSeconds"/> looks for open commands older than
/// <see cref="CommandRelayOptions.OrphanAfterSeconds"/> whose node holds no lock. Those can never end by themselves, so
/// they are recorded as Failed, guarded by the stream's version: a node that did record something meanwhile wins.
/// </summary>
public sealed class CommandSweeper(
    NpgsqlDataSource dataSource,
    IDocumentStore store,
    NodeIdentity node,
    IOptions<CommandRelayOptions> options,
    TimeProvider time,
    ILogger<CommandSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                await using (var hold = new NpgsqlCommand("select pg_advisory_lock($1, $2)", connection))
                {
                    hold.Parameters.AddWithValue(NodeIdentity.LockClass);
                    hold.Parameters.AddWithValue(NodeIdentity.LockKey(node.Id));
                    await hold.ExecuteNonQueryAsync(stoppingToken);
                }

                logger.LogInformation("Node {NodeId} is alive (its advisory lock is held)", node.Id);
                delay = TimeSpan.FromSeconds(1);
                using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, options.Value.SweepIntervalSeconds)), time);
                while (await timer.WaitForNextTickAsync(stoppingToken))
                {
                    // The lock lives with this connection: using it for the sweep also notices when it is gone.
                    await SweepAsync(connection, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Node liveness connection lost; holding the lock again in {Delay}", delay);
                await Task.Delay(delay, time, stoppingToken);
                delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
            }
        }
    }

    /// <summary>One pass: fails the open commands of dead nodes; returns how many.</summary>
    public async Task<int> SweepAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - TimeSpan.FromSeconds(options.Value.OrphanAfterSeconds);
        IReadOnlyList<OpenCommand> stale;
        await using (var query = store.QuerySession())
        {
            stale = await query.Query<OpenCommand>().Where(c => c.Since < cutoff && c.NodeId != node.Id).Take(200).ToListAsync(cancellationToken);
        }

        var failed = 0;
        foreach (var group in stale.GroupBy(c => c.NodeId))
        {
            if (await NodeIdentity.IsAliveAsync(connection, group.Key, cancellationToken))
            {
                continue;
            }

            foreach (var open in group)
            {
                failed += await FailOrphanAsync(open, cancellationToken) ? 1 : 0;
            }
        }

        return failed;
    }

    private async Task<bool> FailOrphanAsync(OpenCommand open, CancellationToken cancellationToken)
    {
        await using var session = store.LightweightSession();
        var stream = await session.Events.FetchStreamAsync(StreamKeys.Command(open.Id), token: cancellationToken);
        session.Delete(open);
        var ended = Command.Fold(stream.Select(e => e.Data)) is not { Status: CommandStatus.Requested or CommandStatus.Sent };
        if (!ended)
        {
            session.Events.Append(StreamKeys.Command(open.Id), stream.Count + 1,
                new CommandFailed(open.Id, $"The node running the command stopped before its outcome ({open.NodeId})", null, null, time.GetUtcNow()));
        }

        try
        {
            await session.SaveChangesAsync(cancellationToken);
        }
        catch (Exception ex) when (CommandDispatcher.IsVersionCollision(ex))
        {
            return false; // something was recorded meanwhile; the next pass looks again if it is still open
        }

        if (!ended)
        {
            logger.LogWarning("Command {CommandId} to {ChargePointId} failed: node {NodeId} stopped before its outcome", open.Id, open.ChargePointId, open.NodeId);
        }

        return !ended;
    }
}
