using JasperFx;

namespace ChargeLedger.ChargePoints;

/// <summary>
/// The charge point aggregate as folded up to stream version <see cref="Version"/>, so a load folds only the events after
/// it instead of the whole history (a year-old charge point has thousands of connects, silences and status changes).
/// It is derived from immutable events only, so any snapshot of the current <see cref="FoldVersion"/> is correct for its
/// version whoever wrote it and whenever. <see cref="Version"/> is Marten's numeric revision (ILongVersioned): a write
/// through TryUpdateRevision replaces only an older snapshot, never a newer one.
/// </summary>
public sealed class ChargePointSnapshot : ILongVersioned
{
    /// <summary>
    /// The shape and meaning of <see cref="ChargePoint"/>'s fold. Bump it whenever <see cref="ChargePoint"/> or
    /// <see cref="ConnectorState"/> changes shape or an Apply changes what it does: snapshots of any other value are
    /// ignored (the stream is folded in full and a new snapshot written). ChargePointSnapshotTests pins the shape.
    /// </summary>
    public const int CurrentFoldVersion = 1;

    /// <summary>A load that folded at least this many events (past the snapshot, or the whole stream) writes a new snapshot.</summary>
    public const int EventsBetweenSnapshots = 100;

    /// <summary>The charge point id.</summary>
    public string Id { get; set; } = "";

    /// <summary>The stream version the state is folded up to (the revision, see the class summary).</summary>
    public long Version { get; set; }

    public int FoldVersion { get; set; }

    public ChargePoint State { get; set; } = null!;

    public static ChargePointSnapshot Of(ChargePoint state) =>
        new() { Id = state.Id, Version = state.Version, FoldVersion = CurrentFoldVersion, State = state };

    /// <summary>
    /// The state to resume folding from, or null to fold from the start: a snapshot of another fold version, or one ahead
    /// of the stream (it cannot describe this stream's events), is not used.
    /// </summary>
    public ChargePoint? Usable(long streamVersion) =>
        FoldVersion == CurrentFoldVersion && Version <= streamVersion && State?.Version == Version ? State : null;

    /// <summary>
    /// Folds the events after <paramref name="state"/> (all of them from null) with their stream versions. Like a full
    /// fold, the result's Version is the stream version of the last event, Marten's, not a count of events applied.
    /// </summary>
    public static ChargePoint? Resume(ChargePoint? state, IEnumerable<(object Data, long Version)> tail)
    {
        long? last = null;
        foreach (var (data, version) in tail)
        {
            state = ChargePoint.Advance(state, data);
            last = version;
        }

        return state is not null && last is { } v ? state with { Version = v } : state;
    }
}
