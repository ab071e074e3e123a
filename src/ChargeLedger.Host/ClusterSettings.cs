using JasperFx.Events.Daemon;
using Marten;

namespace ChargeLedger.Host;

/// <summary>How this node shares the database with other nodes (ChargeLedger:Cluster:Mode, ops/cluster.md).</summary>
public enum ClusterMode
{
    /// <summary>One node: every async projection and subscription runs here (the default).</summary>
    Solo,

    /// <summary>
    /// Several nodes on one database: Marten's HotCold daemon runs each projection and subscription shard on exactly
    /// one node, the one holding that shard's PostgreSQL advisory lock; the others poll for the lock and take over
    /// when it is released (graceful stop, or the leader's database session ending).
    /// </summary>
    HotCold,
}

/// <summary>
/// ChargeLedger:Cluster:Mode (Solo | HotCold) and, for HotCold, ChargeLedger:Cluster:LeadershipPollingMilliseconds:
/// how often a node tries to take the advisory locks it does not hold (Marten's DaemonSettings.LeadershipPollingTime,
/// default 5000 ms), which bounds the takeover delay after a leader stops.
/// </summary>
public sealed record ClusterSettings(ClusterMode Mode, int? LeadershipPollingMilliseconds)
{
    public const string Section = "ChargeLedger:Cluster";

    public DaemonMode DaemonMode => Mode == ClusterMode.HotCold ? DaemonMode.HotCold : DaemonMode.Solo;

    public static ClusterSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var polling = section.GetValue<int?>("LeadershipPollingMilliseconds");
        if (polling is <= 0)
        {
            throw new InvalidOperationException($"{Section}:LeadershipPollingMilliseconds must be positive (got {polling}).");
        }

        return new ClusterSettings(section.GetValue("Mode", ClusterMode.Solo), polling);
    }

    /// <summary>Solo leaves Marten's settings untouched.</summary>
    public void Apply(StoreOptions options)
    {
        if (Mode == ClusterMode.HotCold && LeadershipPollingMilliseconds is { } polling)
        {
            options.Projections.LeadershipPollingTime = polling;
        }
    }
}
