using System.Collections.Immutable;

namespace ChargeLedger.Stations;

public sealed record TariffAssignment(string TariffId, DateTimeOffset ValidFrom, DateTimeOffset AssignedAt);

public sealed record Station(string Id, string Name, string TimeZone, long Version)
{
    /// <summary>Every assignment in the order made; an assignment never replaces another, a later validFrom supersedes it.</summary>
    public ImmutableList<TariffAssignment> TariffAssignments { get; init; } = [];

    public static Station Create(StationRegistered e) => new(e.StationId, e.Name, e.TimeZone, 0);

    public Station Apply(TariffAssignedToStation e) =>
        this with { TariffAssignments = TariffAssignments.Add(new TariffAssignment(e.TariffId, e.ValidFrom, e.AssignedAt)) };

    /// <summary>The assignment in force at <paramref name="at"/>: the latest validFrom not after it; of equal ones, the one made last.</summary>
    public TariffAssignment? TariffAt(DateTimeOffset at) =>
        TariffAssignments.Where(a => a.ValidFrom <= at).OrderBy(a => a.ValidFrom).LastOrDefault();

    public static Station? Advance(Station? state, object @event)
    {
        var next = (state, @event) switch
        {
            (null, StationRegistered e) => Create(e),
            (null, _) => null,
            (_, TariffAssignedToStation e) => state.Apply(e),
            _ => state,
        };
        return next is null ? null : next with { Version = (state?.Version ?? 0) + 1 };
    }

    public static Station? Fold(IEnumerable<object> events) => events.Aggregate((Station?)null, Advance);
}
