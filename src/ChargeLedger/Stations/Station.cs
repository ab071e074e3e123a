namespace ChargeLedger.Stations;

public sealed record Station(string Id, string Name, string TimeZone, long Version)
{
    public static Station Create(StationRegistered e) => new(e.StationId, e.Name, e.TimeZone, 0);

    public static Station? Advance(Station? state, object @event)
    {
        var next = (state, @event) switch
        {
            (null, StationRegistered e) => Create(e),
            _ => state,
        };
        return next is null ? null : next with { Version = (state?.Version ?? 0) + 1 };
    }

    public static Station? Fold(IEnumerable<object> events) => events.Aggregate((Station?)null, Advance);
}
