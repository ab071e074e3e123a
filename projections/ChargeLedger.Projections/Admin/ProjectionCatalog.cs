using JasperFx.Events.Projections;
using JasperFx.Events.Subscriptions;
using Marten;
using Marten.Events.Projections;

namespace ChargeLedger.Projections.Admin;

/// <summary>
/// One projection as operators and developers know it. <paramref name="Shards"/> are its progression rows (its position);
/// <paramref name="Agents"/> are the daemon agents that run it: its own shards, or, for a member of a projection group
/// (<see cref="ProjectionGroups"/>), the group's one shard. A rebuild of a member rebuilds its whole group.
/// </summary>
public sealed record ProjectionEntry(string Name, ProjectionLifecycle Lifecycle, IReadOnlyList<string> Shards, string? Group, IReadOnlyList<string> Agents)
{
    /// <summary>What the daemon rebuilds for this projection: its group, or itself.</summary>
    public string RebuildTarget => Group ?? Name;
}

/// <summary>
/// Every projection registered with the store (whoever registered it), by name; the members of a projection group are
/// listed one by one, as they were before they were grouped. Live aggregations are not stored and left out.
/// </summary>
public sealed class ProjectionCatalog(IDocumentStore store)
{
    private readonly Lazy<IReadOnlyList<ProjectionEntry>> _all = new(() =>
        [.. store.Options.Events.Projections()
            .Where(p => p.Lifecycle != ProjectionLifecycle.Live)
            .SelectMany(p => p is CompositeProjection group
                ? group.AllProjections().Select(member => new ProjectionEntry(member.Name, ProjectionLifecycle.Async,
                    [.. member.ShardNames().Select(s => s.Identity)], group.Name, [.. ((ISubscriptionSource)group).ShardNames().Select(s => s.Identity)]))
                : [new ProjectionEntry(p.Name, p.Lifecycle, [.. p.ShardNames().Select(s => s.Identity)], null, [.. p.ShardNames().Select(s => s.Identity)])])
            .OrderBy(p => p.Name, StringComparer.Ordinal)]);

    public IReadOnlyList<ProjectionEntry> All => _all.Value;

    /// <summary>Names are matched ignoring case; the registered spelling comes back.</summary>
    public ProjectionEntry? Find(string name) => All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The projections a daemon projection runs, by name: a group's members, or the projection itself. What a rebuild of
    /// an entry's <see cref="ProjectionEntry.RebuildTarget"/> rewrites, and whom a group shard's failure and metrics concern.
    /// </summary>
    public IReadOnlyList<string> MembersOf(string projection)
    {
        var members = All.Where(p => p.Group == projection).Select(p => p.Name).ToList();
        return members.Count == 0 ? [projection] : members;
    }

    /// <summary>For log lines and the health entry: "Operations (ChargePointStatus, Uptime, Alarms)", or the projection's name.</summary>
    public string Describe(string projection) =>
        MembersOf(projection) is [var only] && only == projection ? projection : $"{projection} ({string.Join(", ", MembersOf(projection))})";
}
