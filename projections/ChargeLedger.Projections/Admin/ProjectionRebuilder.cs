using System.Collections.Concurrent;
using System.Diagnostics;
using JasperFx;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChargeLedger.Projections.Admin;

public enum RebuildOutcome
{
    Running,
    Completed,
    Failed,
}

/// <summary>The last (or current) rebuild of a projection on this node.</summary>
public sealed record RebuildStatus(RebuildOutcome Status, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, double? DurationSeconds, string? Error);

public enum RebuildRequest
{
    Started,
    AlreadyRunning,
    UnknownProjection,

    /// <summary>HotCold: another node runs the projection, and a rebuild here would make two daemons write it.</summary>
    NotRunHere,
}

/// <summary>
/// Runs projection rebuilds in the background on this node's async daemon (POST /api/admin/projections/{name}/rebuild):
/// the daemon stops the projection's agent, tears its data down, replays every event up to the high-water mark and
/// hands over to continuous processing. A member of a projection group (ProjectionGroups) is rebuilt with its whole group,
/// in one pass over the events, and the status is the group's. One rebuild per projection at a time; each is bounded by
/// ChargeLedger:Projections:RebuildTimeoutMinutes per shard and cancelled when the host stops.
/// </summary>
public sealed class ProjectionRebuilder(ProjectionMonitor monitor, ProjectionCatalog catalog, IConfiguration configuration, TimeProvider time,
    IHostApplicationLifetime lifetime, ILogger<ProjectionRebuilder> logger)
{
    private readonly ConcurrentDictionary<string, RebuildStatus> _rebuilds = new(StringComparer.Ordinal);
    private readonly TimeSpan _shardTimeout = TimeSpan.FromMinutes(configuration.GetValue("ChargeLedger:Projections:RebuildTimeoutMinutes", 60.0));

    /// <summary>Of a projection (or of the group it belongs to).</summary>
    public RebuildStatus? StatusOf(string projection) => _rebuilds.GetValueOrDefault(catalog.Find(projection)?.RebuildTarget ?? projection);

    public bool IsRunning(string projection) => StatusOf(projection)?.Status == RebuildOutcome.Running;

    public RebuildRequest Start(string projection)
    {
        if (catalog.Find(projection) is not { } entry)
        {
            return RebuildRequest.UnknownProjection;
        }

        if (monitor.Coordinated && entry.Lifecycle == JasperFx.Events.Projections.ProjectionLifecycle.Async && !entry.Agents.All(monitor.RunsHere))
        {
            return RebuildRequest.NotRunHere;
        }

        var running = new RebuildStatus(RebuildOutcome.Running, time.GetUtcNow(), null, null, null);
        var claimed = false;
        _rebuilds.AddOrUpdate(entry.RebuildTarget,
            _ =>
            {
                claimed = true;
                return running;
            },
            (_, current) =>
            {
                claimed = current.Status != RebuildOutcome.Running;
                return claimed ? running : current;
            });
        if (!claimed)
        {
            return RebuildRequest.AlreadyRunning;
        }

        _ = Task.Run(() => RunAsync(entry, running.StartedAt), CancellationToken.None);
        return RebuildRequest.Started;
    }

    private async Task RunAsync(ProjectionEntry entry, DateTimeOffset startedAt)
    {
        var projection = entry.RebuildTarget;
        var clock = Stopwatch.StartNew();
        logger.LogInformation("Rebuilding projection {Projection}", projection);
        try
        {
            await monitor.Daemon.RebuildProjectionAsync(projection, _shardTimeout, lifetime.ApplicationStopping);
            await ResumeContinuousAsync(entry);
            _rebuilds[projection] = new RebuildStatus(RebuildOutcome.Completed, startedAt, time.GetUtcNow(), clock.Elapsed.TotalSeconds, null);
            logger.LogInformation("Rebuilt projection {Projection} in {Seconds:0.000} s", projection, clock.Elapsed.TotalSeconds);
        }
        catch (Exception ex)
        {
            _rebuilds[projection] = new RebuildStatus(RebuildOutcome.Failed, startedAt, time.GetUtcNow(), clock.Elapsed.TotalSeconds,
                ex.GetBaseException().Message);
            logger.LogError(ex, "Rebuilding projection {Projection} failed", projection);
            if (!lifetime.ApplicationStopping.IsCancellationRequested)
            {
                // Continuous processing carries on from the rebuild's committed position, so the projection keeps
                // converging (or stops again, loudly, on the event that failed the rebuild) instead of staying idle.
                try
                {
                    await ResumeContinuousAsync(entry);
                }
                catch (Exception resume)
                {
                    logger.LogError(resume, "Could not restart projection {Projection} after its failed rebuild", projection);
                }
            }
        }
    }

    /// <summary>
    /// The daemon leaves the projection's continuous agents stopped after a rebuild (JasperFx.Events: the caller
    /// restores continuous processing); start those that are not running (starting is idempotent).
    /// </summary>
    private async Task ResumeContinuousAsync(ProjectionEntry entry)
    {
        var daemon = monitor.Daemon;
        foreach (var shard in entry.Agents)
        {
            if (daemon.StatusFor(shard) != AgentStatus.Running)
            {
                await daemon.StartAgentAsync(shard, lifetime.ApplicationStopping);
            }
        }
    }
}
