using JasperFx.Events.Projections;
using Marten;

namespace ChargeLedger.Projections.Admin;

public sealed record ProjectionEntry(string Name, ProjectionLifecycle Lifecycle, IReadOnlyList<string> Shards);

/// <summary>Every projection registered with the store (whoever registered it), by name; Live aggregations are not stored and left out.</summary>
public sealed class ProjectionCatalog(IDocumentStore store)
{
    private readonly Lazy<IReadOnlyList<ProjectionEntry>> _all = new(() =>
        [.. store.Options.Events.Projections()
            .Where(p => p.Lifecycle != ProjectionLifecycle.Live)
            .Select(p => new ProjectionEntry(p.Name, p.Lifecycle, [.. p.ShardNames().Select(s => s.Identity)]))
            .OrderBy(p => p.Name, StringComparer.Ordinal)]);

    public IReadOnlyList<ProjectionEntry> All => _all.Value;

    /// <summary>Names are matched ignoring case; the registered spelling comes back.</summary>
    public ProjectionEntry? Find(string name) => All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}
