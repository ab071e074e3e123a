using ChargeLedger.ChargePoints;
using ChargeLedger.Stations;
using NodaTime;

namespace ChargeLedger.Projections.Uptime;

/// <summary>What a transition changes: a connector's status, the charge point's connectivity, or an operator's availability.</summary>
public enum UptimeTransitionKind
{
    Status,
    Connectivity,
    Availability,
}

/// <summary>The charge point's link as uptime sees it; Offline (disconnected) and Silent (open but mute) are both down.</summary>
public enum Connectivity
{
    Online,
    Offline,
    Silent,
}

/// <summary>
/// One row of the uptime transition log. <paramref name="Value"/> is a <see cref="ConnectorStatus"/>, a
/// <see cref="Connectivity"/> or a <see cref="ConnectorAvailability"/> name, by <paramref name="Kind"/>; connectivity rows
/// carry connector 0. <paramref name="Sequence"/> (the event's) orders transitions at the same instant.
/// </summary>
public sealed record UptimeTransition(int ConnectorId, DateTimeOffset At, long Sequence, UptimeTransitionKind Kind, string Value);

/// <summary>Seconds of one connector on one station-local day (CONTRACT.md uptime row).</summary>
public sealed record ConnectorUptimeDay(int ConnectorId, LocalDate Date, long UpSeconds, long DownSeconds, long ExcludedSeconds)
{
    public long ObservedSeconds => UpSeconds + DownSeconds + ExcludedSeconds;

    /// <summary>100 × (observed − down) / observed, half away from zero to 2 decimals.</summary>
    public decimal UptimePercent => ObservedSeconds == 0
        ? 0m
        : Math.Round(100m * (ObservedSeconds - DownSeconds) / ObservedSeconds, 2, MidpointRounding.AwayFromZero);
}

/// <summary>
/// Folds one charge point's transitions into per-connector, per-station-local-day seconds (CONTRACT.md "Uptime").
/// Pure: the caller passes the transitions inside the period plus the last one of each kind and connector before it.
/// <para>Rules, in order of precedence, for connector c (1..n) once its own first status is known:</para>
/// <list type="number">
/// <item>excluded: c is Unavailable while Inoperative is set for c (or for connector 0 with nothing set for c since), or
/// connector 0 is Unavailable while Inoperative is set for connector 0. Planned maintenance beats offline: taking a
/// charge point out of service often means powering it off, and that must not turn planned time into an outage.</item>
/// <item>down: the charge point is offline (disconnected) or silent, whatever the last status said.</item>
/// <item>down: connector 0 (the whole charge point) is Faulted or Unavailable: that concerns every connector.</item>
/// <item>down: c is Faulted or Unavailable; otherwise up.</item>
/// </list>
/// <para>ChangeAvailability on connector 0 sets every connector (OCPP 1.6 §5.2), so it clears per-connector settings.
/// Before the first connectivity transition the charge point counts as online. Every instant is cut to whole seconds,
/// so up + down + excluded is exactly the observed window; a day is 23 or 25 hours when the clocks change.</para>
/// </summary>
public static class UptimeFold
{
    private enum Category
    {
        Up,
        Down,
        Excluded,
    }

    public static IReadOnlyList<ConnectorUptimeDay> Days(IEnumerable<UptimeTransition> transitions, DateTimeZone zone, LocalDate from,
        LocalDate to, DateTimeOffset now)
    {
        var periodStart = StationClock.Day(from, zone).Start;
        var periodEnd = Min(StationClock.Day(to, zone).End, WholeSeconds(now));
        if (from > to || periodEnd <= periodStart)
        {
            return [];
        }

        var days = new List<(LocalDate Date, DateTimeOffset Start, DateTimeOffset End)>();
        for (var date = from; date <= to; date = date.PlusDays(1))
        {
            var (start, end) = StationClock.Day(date, zone);
            days.Add((date, start, end));
        }

        var state = new State();
        var totals = new Totals(days, periodStart, periodEnd);
        var cursor = DateTimeOffset.MinValue;
        foreach (var t in transitions.OrderBy(t => t.At).ThenBy(t => t.Sequence))
        {
            var at = WholeSeconds(t.At);
            totals.Add(state, cursor, at);
            state.Apply(t);
            cursor = at;
        }

        totals.Add(state, cursor, periodEnd);
        return totals.Rows();
    }

    private static DateTimeOffset WholeSeconds(DateTimeOffset t) =>
        new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    /// <summary>Seconds per connector and day; intervals arrive in time order, so the day search resumes where it left off.</summary>
    private sealed class Totals(List<(LocalDate Date, DateTimeOffset Start, DateTimeOffset End)> days, DateTimeOffset periodStart,
        DateTimeOffset periodEnd)
    {
        private readonly SortedDictionary<(int Connector, int Day), long[]> _sums = [];
        private int _day;

        public void Add(State state, DateTimeOffset from, DateTimeOffset to)
        {
            var start = Max(from, periodStart);
            var end = Min(to, periodEnd);
            if (end <= start || state.KnownConnectors.Count == 0)
            {
                return;
            }

            var categories = state.KnownConnectors.Select(c => (Connector: c, Category: state.Classify(c))).ToList();
            while (_day < days.Count && days[_day].End <= start)
            {
                _day++;
            }

            for (var day = _day; day < days.Count && days[day].Start < end; day++)
            {
                var seconds = (Min(end, days[day].End) - Max(start, days[day].Start)).Ticks / TimeSpan.TicksPerSecond;
                foreach (var (connector, category) in categories)
                {
                    if (!_sums.TryGetValue((connector, day), out var sums))
                    {
                        _sums[(connector, day)] = sums = new long[3];
                    }

                    sums[(int)category] += seconds;
                }
            }
        }

        public IReadOnlyList<ConnectorUptimeDay> Rows() =>
            [.. _sums.Select(kv => new ConnectorUptimeDay(kv.Key.Connector, days[kv.Key.Day].Date,
                kv.Value[(int)Category.Up], kv.Value[(int)Category.Down], kv.Value[(int)Category.Excluded]))];
    }

    private sealed class State
    {
        private readonly Dictionary<int, ConnectorStatus> _status = [];
        private readonly Dictionary<int, ConnectorAvailability> _availability = [];
        private ConnectorAvailability _wholeAvailability = ConnectorAvailability.Operative;
        private Connectivity _connectivity = Connectivity.Online;

        public SortedSet<int> KnownConnectors { get; } = [];

        public void Apply(UptimeTransition t)
        {
            switch (t.Kind)
            {
                case UptimeTransitionKind.Status:
                    _status[t.ConnectorId] = Enum.Parse<ConnectorStatus>(t.Value);
                    if (t.ConnectorId > 0)
                    {
                        KnownConnectors.Add(t.ConnectorId);
                    }

                    break;
                case UptimeTransitionKind.Connectivity:
                    _connectivity = Enum.Parse<Connectivity>(t.Value);
                    break;
                case UptimeTransitionKind.Availability when t.ConnectorId == 0:
                    _wholeAvailability = Enum.Parse<ConnectorAvailability>(t.Value);
                    _availability.Clear();
                    break;
                case UptimeTransitionKind.Availability:
                    _availability[t.ConnectorId] = Enum.Parse<ConnectorAvailability>(t.Value);
                    break;
            }
        }

        public Category Classify(int connector)
        {
            var own = _status.GetValueOrDefault(connector, ConnectorStatus.Available);
            ConnectorStatus? whole = _status.TryGetValue(0, out var w) ? w : null;
            var inoperative = _availability.GetValueOrDefault(connector, _wholeAvailability) == ConnectorAvailability.Inoperative;
            if ((own == ConnectorStatus.Unavailable && inoperative) ||
                (whole == ConnectorStatus.Unavailable && _wholeAvailability == ConnectorAvailability.Inoperative))
            {
                return Category.Excluded;
            }

            if (_connectivity != Connectivity.Online || whole is ConnectorStatus.Faulted or ConnectorStatus.Unavailable)
            {
                return Category.Down;
            }

            return own is ConnectorStatus.Faulted or ConnectorStatus.Unavailable ? Category.Down : Category.Up;
        }
    }
}
