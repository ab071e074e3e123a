using ChargeLedger.Access;
using ChargeLedger.Shared;
using JasperFx;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Wolverine.Http;

namespace ChargeLedger.Projections.Admin;

public sealed record ProjectionErrorResponse(string Message, string Category, long? EventSequence, string? EventType, string? StreamKey, DateTimeOffset? At);

public sealed record ProjectionStatusResponse(
    string Name,
    string Lifecycle,
    string State,
    long LastProcessedSequence,
    long HighWaterMark,
    long LagEvents,
    double LagSeconds,
    ProjectionErrorResponse? Error,
    RebuildStatus? LastRebuild);

/// <summary>202 to a rebuild request.</summary>
/// <param name="Name">The projection named, as registered.</param>
/// <param name="State">"rebuilding".</param>
/// <param name="StatusUrl">Where the rebuild's progress and outcome show (lastRebuild).</param>
/// <param name="Rebuilds">Every projection this rebuild rewrites: the one named, or all of its projection group.</param>
public sealed record RebuildAcceptedResponse(string Name, string State, string StatusUrl, IReadOnlyList<string> Rebuilds);

/// <summary>Projection administration for developers (CONTRACT.md Reads, issue 3).</summary>
public static class ProjectionAdminEndpoints
{
    public const string Running = "running";
    public const string Rebuilding = "rebuilding";
    public const string Stopped = "stopped";

    /// <summary>HotCold only: another node runs this projection; position and lag are its progress (mt_event_progression).</summary>
    public const string Standby = "standby";

    /// <summary>
    /// Each projection with its position and lag against the high-water mark (from mt_event_progression, so it is the
    /// same on every node), and its state: rebuilding (a rebuild runs on this node), stopped (with the error that stopped
    /// it, or no agent runs it) or running. lagSeconds is the age of the oldest event the projection has not applied yet
    /// (server time; 0 when caught up). In HotCold mode (ops/cluster.md) an async projection this node does not run is
    /// "standby" (or "stopped" with the error the running node persisted): position and lag are still the running node's.
    /// </summary>
    [WolverineGet("/api/admin/projections")]
    [Authorize(Roles = Roles.DeveloperOrAdmin)]
    public static async Task<IReadOnlyList<ProjectionStatusResponse>> Get(ProjectionCatalog catalog, ProjectionMonitor monitor,
        ProjectionRebuilder rebuilder, IDocumentStore store, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var progress = (await store.Advanced.AllProjectionProgress(token: cancellationToken)).ToDictionary(s => s.ShardName, StringComparer.Ordinal);
        var highWater = Math.Max(monitor.HighWaterMark, progress.GetValueOrDefault(ShardState.HighWaterMark)?.Sequence ?? 0);
        var local = monitor.Shards().ToDictionary(s => s.Shard, StringComparer.Ordinal);

        var rows = catalog.All.Select(p =>
        {
            var position = p.Lifecycle == ProjectionLifecycle.Inline || p.Shards.Count == 0
                ? highWater
                : p.Shards.Min(s => progress.GetValueOrDefault(s)?.Sequence ?? 0);
            return (Projection: p, Position: Math.Min(position, highWater));
        }).ToList();
        var ages = await OldestUnappliedAgesAsync(store, dataSource, [.. rows.Where(r => r.Position < highWater).Select(r => r.Position).Distinct()],
            cancellationToken);

        return [.. rows.Select(r =>
        {
            var (state, error) = StateOf(r.Projection, local, progress, monitor, rebuilder);
            return new ProjectionStatusResponse(r.Projection.Name, r.Projection.Lifecycle.ToString(), state, r.Position, highWater,
                highWater - r.Position, ages.GetValueOrDefault(r.Position), error, rebuilder.StatusOf(r.Projection.Name));
        })];
    }

    /// <summary>
    /// 202 and the rebuild runs in the background on this node's daemon; 404 unknown name; 409 while one runs, and in
    /// HotCold mode 409 on a node that does not run the projection (two daemons would write it).
    /// </summary>
    [WolverinePost("/api/admin/projections/{name}/rebuild")]
    [Authorize(Roles = Roles.DeveloperOrAdmin)]
    public static IResult Rebuild(string name, ProjectionRebuilder rebuilder, ProjectionCatalog catalog)
    {
        const string statusUrl = "/api/admin/projections";
        return rebuilder.Start(name) switch
        {
            RebuildRequest.Started => Results.Accepted(statusUrl,
                new RebuildAcceptedResponse(catalog.Find(name)!.Name, Rebuilding, statusUrl, catalog.MembersOf(catalog.Find(name)!.RebuildTarget))),
            RebuildRequest.AlreadyRunning => Validation.Conflict($"A rebuild of projection {catalog.Find(name)!.Name} is already running."),
            RebuildRequest.NotRunHere => Validation.Conflict(
                $"This node does not run projection {catalog.Find(name)!.Name} (cluster mode HotCold: another node holds its leadership lock), " +
                "and a rebuild here would make two daemons write it. Send the request to the node whose GET /api/admin/projections reports it running."),
            _ => Validation.NotFound($"Unknown projection {name}; known: {string.Join(", ", catalog.All.Select(p => p.Name))}."),
        };
    }

    private static (string State, ProjectionErrorResponse? Error) StateOf(ProjectionEntry projection, Dictionary<string, ShardSnapshot> local,
        Dictionary<string, ShardState> progress, ProjectionMonitor monitor, ProjectionRebuilder rebuilder)
    {
        if (rebuilder.IsRunning(projection.Name))
        {
            return (Rebuilding, null);
        }

        if (projection.Lifecycle == ProjectionLifecycle.Inline)
        {
            return (Running, null);
        }

        foreach (var shard in projection.Agents)
        {
            if ((!monitor.Coordinated || monitor.RunsHere(shard)) && local.GetValueOrDefault(shard)?.Failure is { } failure)
            {
                return (Stopped, new ProjectionErrorResponse(failure.Message, failure.Category, failure.EventSequence, failure.EventType,
                    failure.StreamKey, failure.At));
            }

            // Another node's daemon may own it (Wolverine-managed distribution): its pause reason is persisted.
            if (progress.GetValueOrDefault(shard) is { AgentStatus: "Paused" or "Stopped", PauseReason: { Length: > 0 } reason })
            {
                return (Stopped, new ProjectionErrorResponse(reason, "Other", null, null, null, null));
            }
        }

        if (monitor.Coordinated && !projection.Agents.All(monitor.RunsHere))
        {
            // The leader's persisted "Running" outlives a leader that died; only the node running a shard says running.
            return (Standby, null);
        }

        var runningHere = projection.Agents.All(s => monitor.Daemon.StatusFor(s) == AgentStatus.Running);
        var runningElsewhere = projection.Agents.All(s => progress.GetValueOrDefault(s)?.AgentStatus == "Running");
        return (runningHere || runningElsewhere ? Running : Stopped, null);
    }

    /// <summary>Seconds since the first event after each position was recorded (PostgreSQL's clock on both sides).</summary>
    private static async Task<Dictionary<long, double>> OldestUnappliedAgesAsync(IDocumentStore store, NpgsqlDataSource dataSource, long[] positions,
        CancellationToken cancellationToken)
    {
        var ages = new Dictionary<long, double>();
        if (positions.Length == 0)
        {
            return ages;
        }

        await using var command = dataSource.CreateCommand(
            $"select p.position, (select extract(epoch from clock_timestamp() - e.timestamp)::float8 from {store.Options.Events.DatabaseSchemaName}.mt_events e " +
            "where e.seq_id > p.position order by e.seq_id limit 1) from unnest($1::bigint[]) as p(position)");
        command.Parameters.AddWithValue(positions);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!await reader.IsDBNullAsync(1, cancellationToken))
            {
                ages[reader.GetInt64(0)] = Math.Max(0, Math.Round(reader.GetDouble(1), 3));
            }
        }

        return ages;
    }
}
