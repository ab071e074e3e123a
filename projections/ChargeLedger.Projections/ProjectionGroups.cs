namespace ChargeLedger.Projections;

/// <summary>
/// The async projections that run together as one daemon shard (a Marten composite projection). Every projection shard
/// reads each page of events from mt_events, its filter applied row by row, so seven shards read every event seven
/// times: under OCPP load that was 18 % of PostgreSQL's time, the most of any read. A group reads it once for its
/// members, applies the page to each of them in parallel and commits their documents and positions in one transaction.
/// Each member keeps its own progression row, which always equals the group's.
/// <para>
/// What a group shares, and why these members: a member that cannot apply an event stops the whole group (not the
/// others), a rebuild of any member rebuilds the group, and in HotCold one node runs the group. So the groups follow the
/// failure and rebuild boundaries operators already think in: a charge point's state (status, uptime, alarms) and a
/// charging session's money and energy (transactions, energy, CDRs). Grid telemetry runs on its own.
/// </para>
/// </summary>
public static class ProjectionGroups
{
    /// <summary>ChargePointStatus, Uptime and Alarms.</summary>
    public const string Operations = "Operations";

    /// <summary>Transactions, Energy and Cdrs.</summary>
    public const string Sessions = "Sessions";
}
