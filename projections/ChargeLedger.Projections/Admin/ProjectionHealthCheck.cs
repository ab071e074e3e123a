using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ChargeLedger.Projections.Admin;

/// <summary>
/// The "projections" health entry: Degraded, never Unhealthy, while a projection is stopped by an event it cannot
/// apply. The OCPP write path does not depend on read models, so the node stays in service; the entry names the
/// projection and its error so the alert says what to fix. A projection group (ProjectionGroups) is named with the members
/// it stops.
/// </summary>
public sealed class ProjectionHealthCheck(ProjectionMonitor monitor, ProjectionCatalog catalog) : IHealthCheck
{
    public const string Name = "projections";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var stopped = monitor.Stopped();
        if (stopped.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy("All projections are running."));
        }

        var data = stopped.GroupBy(s => catalog.Describe(s.Projection), StringComparer.Ordinal).ToDictionary(g => g.Key,
            g => (object)$"stopped after sequence {g.First().Failure!.LastGoodSequence}: {g.First().Failure!.Message}", StringComparer.Ordinal);
        return Task.FromResult(HealthCheckResult.Degraded(
            $"Stopped by an event they cannot apply: {string.Join(", ", data.Keys)}. Later events are not applied to them.",
            data: data));
    }
}
