using ChargeLedger.Stations;
using ChargeLedger.Transactions;
using NodaTime;
using NodaTime.Text;

namespace ChargeLedger.Tariffs;

/// <summary>
/// The pricing engine (OCPI 2.2.1 tariff semantics, CONTRACT.md Tariffs): a pure function of a tariff version, the
/// station's time zone and the session's usage.
/// <para>
/// The session is cut at every instant where the answer to "which element applies" could change: station-local HH:MM
/// edges of the restrictions and local midnights (mapped through the zone, so a DST day has 23 or 25 hours and a wall
/// time skipped by the spring change cuts at the change itself), the zone's transitions, status changes, the instants
/// the consumed energy reaches a min/max kWh bound and the session's age a min/max duration. Between two cuts nothing
/// changes, so each piece is judged at its first instant: for each component type the first element (in order) whose
/// restrictions hold and that has that type applies; TIME only while charging, PARKING_TIME only while not.
/// Adjacent pieces with the same outcome are merged into one charging period.
/// </para>
/// <para>
/// Step sizes round each type's total up once per session, the extra billed on the component of that type that applied
/// last. FLAT is billed once, by the element that applies at the first moment any FLAT component applies.
/// Costs are summed exactly as numerators over one common denominator and divided once, then rounded half away from
/// zero to 2 decimals; so cutting a session into more periods never changes its totals.
/// </para>
/// </summary>
public static class TariffPricing
{
    // cost = (Wh × price × 3600 + s × price × 1000 + flat price × 3,600,000) / 3,600,000
    private const decimal CostDenominator = 3_600_000m;
    private const decimal TicksPerSecond = TimeSpan.TicksPerSecond;
    private static readonly LocalTimePattern HourMinute = LocalTimePattern.CreateWithInvariantCulture("HH':'mm");

    public static PricingResult Price(Tariff tariff, DateTimeZone zone, SessionUsage usage) =>
        Run(tariff.Id, tariff.Version, tariff.Currency, null, tariff.Elements, zone, usage);

    /// <summary>A session with no tariff to price it: its quantities and periods, every cost zero, and the reason.</summary>
    public static PricingResult Unpriced(string reason, DateTimeZone zone, SessionUsage usage) =>
        Run(null, null, null, reason, [], zone, usage);

    private static PricingResult Run(string? tariffId, int? tariffVersion, string? currency, string? reason,
        IReadOnlyList<TariffElement> elements, DateTimeZone zone, SessionUsage usage)
    {
        var start = usage.StartedAt.ToUniversalTime();
        var stop = usage.StoppedAt < start ? start : usage.StoppedAt.ToUniversalTime();
        var curve = new EnergyCurve(start, stop, usage.MeterStartWh, usage.MeterStopWh, usage.Readings);
        var rules = elements.Select((e, i) => new ElementRule(i, e)).ToList();
        var changes = usage.StatusChanges.Where(c => c.At >= start && c.At < stop).OrderBy(c => c.At).ToList();

        var segments = Segments(Cuts(start, stop, zone, rules, changes, curve, usage.MeterStartWh), start, stop, zone, rules, changes, curve,
            usage.MeterStartWh);
        var periods = Merge(segments);
        var lines = Lines(segments, rules);

        decimal exclNumerator = 0m, vatNumerator = 0m;
        foreach (var line in lines)
        {
            var scaled = (line.Quantity + line.StepRounding) * line.Price * line.Type switch
            {
                ComponentTypes.Energy => 3_600m,
                ComponentTypes.Flat => CostDenominator,
                _ => 1_000m,
            };
            exclNumerator += scaled;
            vatNumerator += scaled * line.VatPercent;
        }

        var exclVat = RoundMoney(exclNumerator / CostDenominator);
        var vat = RoundMoney(vatNumerator / (CostDenominator * 100m));
        return new PricingResult(tariffId, tariffVersion, currency, reason, curve.EndWh - usage.MeterStartWh,
            Seconds((stop - start).Ticks),
            Seconds(segments.Where(s => s.Charging).Sum(s => s.Ticks)),
            Seconds(segments.Where(s => !s.Charging).Sum(s => s.Ticks)),
            periods, lines, exclVat, vat, exclVat + vat);
    }

    /// <summary>CONTRACT.md: half away from zero to 2 decimals.</summary>
    public static decimal RoundMoney(decimal value) => Math.Round(value, 2, MidpointRounding.AwayFromZero);

    private static decimal Seconds(long ticks) => ticks / TicksPerSecond;

    private static List<DateTimeOffset> Cuts(DateTimeOffset start, DateTimeOffset stop, DateTimeZone zone, List<ElementRule> rules,
        List<ChargingStateChange> changes, EnergyCurve curve, long meterStartWh)
    {
        var cuts = new SortedSet<DateTimeOffset>();
        foreach (var change in changes)
        {
            cuts.Add(change.At);
        }

        var sessionTicks = (stop - start).Ticks;
        foreach (var rule in rules)
        {
            foreach (var seconds in rule.DurationBounds.Where(s => s < sessionTicks / TimeSpan.TicksPerSecond + 1))
            {
                cuts.Add(start.AddTicks(seconds * TimeSpan.TicksPerSecond));
            }

            foreach (var kwh in rule.EnergyBoundsKwh)
            {
                if (curve.FirstReaching(meterStartWh + (kwh * 1000m)) is { } reached)
                {
                    cuts.Add(reached);
                }
            }
        }

        var edges = rules.SelectMany(r => r.LocalEdges).ToHashSet();
        if (rules.Any(r => r.UsesLocalCalendar))
        {
            edges.Add(LocalTime.Midnight);
        }

        if (edges.Count > 0)
        {
            AddLocalEdges(cuts, zone, start, stop, edges);
        }

        return [start, .. cuts.Select(c => c.ToUniversalTime()).Where(c => c > start && c < stop), stop];
    }

    /// <summary>
    /// Every instant in and around the session where local time reaches an edge: both instants of a wall time the
    /// autumn change repeats, the change itself for one the spring change skips, and every zone transition (where local
    /// time jumps, restrictions may flip without any edge being passed).
    /// </summary>
    private static void AddLocalEdges(SortedSet<DateTimeOffset> cuts, DateTimeZone zone, DateTimeOffset start, DateTimeOffset stop,
        IReadOnlyCollection<LocalTime> edges)
    {
        var last = StationClock.LocalDate(stop, zone).PlusDays(1);
        for (var date = StationClock.LocalDate(start, zone).PlusDays(-1); date <= last; date = date.PlusDays(1))
        {
            foreach (var edge in edges)
            {
                var mapping = zone.MapLocal(date + edge);
                if (mapping.Count == 0)
                {
                    cuts.Add(mapping.LateInterval.Start.ToDateTimeOffset());
                    continue;
                }

                cuts.Add(mapping.First().ToInstant().ToDateTimeOffset());
                cuts.Add(mapping.Last().ToInstant().ToDateTimeOffset());
            }
        }

        foreach (var interval in zone.GetZoneIntervals(Instant.FromDateTimeOffset(start), Instant.FromDateTimeOffset(stop)))
        {
            if (interval.HasStart)
            {
                cuts.Add(interval.Start.ToDateTimeOffset());
            }
        }
    }

    private static List<Segment> Segments(List<DateTimeOffset> cuts, DateTimeOffset start, DateTimeOffset stop, DateTimeZone zone,
        List<ElementRule> rules, List<ChargingStateChange> changes, EnergyCurve curve, long meterStartWh)
    {
        var segments = new List<Segment>(cuts.Count);
        var charging = true;
        var nextChange = 0;
        for (var i = 0; i < cuts.Count - 1; i++)
        {
            var (from, to) = (cuts[i], cuts[i + 1]);
            while (nextChange < changes.Count && changes[nextChange].At <= from)
            {
                charging = changes[nextChange++].Charging;
            }

            var energyAtStart = curve.At(from);
            // A zero-length session still has its meterStop − meterStart: all of it falls in its single instant.
            var energy = stop == start ? curve.EndWh - meterStartWh : curve.At(to) - energyAtStart;
            var moment = new Moment(StationClock.LocalTime(from, zone), energyAtStart - meterStartWh, (from - start).Ticks);
            var holding = rules.Where(r => r.Holds(moment)).ToList();
            segments.Add(new Segment(from, to, charging, energy, (to - from).Ticks,
                First(holding, ComponentTypes.Energy),
                charging ? First(holding, ComponentTypes.Time) : null,
                charging ? null : First(holding, ComponentTypes.ParkingTime),
                First(holding, ComponentTypes.Flat)));
        }

        return segments;

        static int? First(List<ElementRule> holding, string type) => holding.FirstOrDefault(r => r.Component(type) is not null)?.Index;
    }

    private static List<ChargingPeriod> Merge(List<Segment> segments)
    {
        var periods = new List<ChargingPeriod>(segments.Count);
        foreach (var s in segments)
        {
            if (periods.Count > 0 && periods[^1] is var last && last.Charging == s.Charging && last.EnergyElement == s.Energy &&
                last.TimeElement == s.Time && last.ParkingTimeElement == s.Parking && last.FlatElement == s.Flat)
            {
                periods[^1] = last with
                {
                    EndDateTime = s.To,
                    EnergyWh = last.EnergyWh + s.EnergyWh,
                    DurationSeconds = last.DurationSeconds + Seconds(s.Ticks),
                };
                continue;
            }

            periods.Add(new ChargingPeriod(s.From, s.To, s.Charging, s.EnergyWh, Seconds(s.Ticks), s.Energy, s.Time, s.Parking, s.Flat));
        }

        return periods;
    }

    private static List<PriceLine> Lines(List<Segment> segments, List<ElementRule> rules)
    {
        var quantities = new Dictionary<(string Type, int Element), decimal>();
        var lastApplied = new Dictionary<string, int>(StringComparer.Ordinal);
        void Add(string type, int? element, decimal quantity)
        {
            if (element is { } e)
            {
                quantities[(type, e)] = quantities.GetValueOrDefault((type, e)) + quantity;
                lastApplied[type] = e;
            }
        }

        foreach (var s in segments)
        {
            Add(ComponentTypes.Energy, s.Energy, s.EnergyWh);
            Add(ComponentTypes.Time, s.Time, Seconds(s.Ticks));
            Add(ComponentTypes.ParkingTime, s.Parking, Seconds(s.Ticks));
        }

        if (segments.FirstOrDefault(s => s.Flat is not null)?.Flat is { } flat)
        {
            quantities[(ComponentTypes.Flat, flat)] = 1m;
        }

        var stepRounding = new Dictionary<(string Type, int Element), decimal>();
        foreach (var (type, element) in lastApplied)
        {
            var total = quantities.Where(q => q.Key.Type == type).Sum(q => q.Value);
            var step = (decimal)(rules[element].Component(type)!.StepSize ?? 1);
            stepRounding[(type, element)] = (Math.Ceiling(total / step) * step) - total;
        }

        return
        [
            .. quantities
                .Select(q =>
                {
                    var component = rules[q.Key.Element].Component(q.Key.Type)!;
                    return new PriceLine(q.Key.Type, q.Key.Element, component.Price, component.VatPercent, component.StepSize, q.Value,
                        stepRounding.GetValueOrDefault(q.Key));
                })
                .Where(l => l.Quantity + l.StepRounding != 0m)
                .OrderBy(l => ComponentOrder(l.Type))
                .ThenBy(l => l.ElementIndex),
        ];
    }

    private static int ComponentOrder(string type) => type switch
    {
        ComponentTypes.Energy => 0,
        ComponentTypes.Time => 1,
        ComponentTypes.ParkingTime => 2,
        _ => 3,
    };

    private readonly record struct Moment(LocalDateTime Local, decimal ConsumedWh, long ElapsedTicks);

    private sealed record Segment(DateTimeOffset From, DateTimeOffset To, bool Charging, decimal EnergyWh, long Ticks,
        int? Energy, int? Time, int? Parking, int? Flat);

    /// <summary>A tariff element with its restrictions parsed once.</summary>
    private sealed class ElementRule
    {
        private readonly TariffElement _element;
        private readonly LocalTime? _from;
        private readonly LocalTime? _to;
        private readonly HashSet<IsoDayOfWeek>? _days;
        private readonly decimal? _minWh;
        private readonly decimal? _maxWh;
        private readonly long? _minTicks;
        private readonly long? _maxTicks;

        public ElementRule(int index, TariffElement element)
        {
            Index = index;
            _element = element;
            var r = element.Restrictions;
            _from = r?.StartTime is { } s ? HourMinute.Parse(s).Value : null;
            _to = r?.EndTime is { } e ? HourMinute.Parse(e).Value : null;
            _days = r?.DaysOfWeek is { } days ? [.. days.Select(DayNames.Parse)] : null;
            _minWh = r?.MinKwh * 1000m;
            _maxWh = r?.MaxKwh * 1000m;
            _minTicks = r?.MinDurationSeconds * TimeSpan.TicksPerSecond;
            _maxTicks = r?.MaxDurationSeconds * TimeSpan.TicksPerSecond;
            DurationBounds = [.. new[] { r?.MinDurationSeconds, r?.MaxDurationSeconds }.OfType<long>()];
            EnergyBoundsKwh = [.. new[] { r?.MinKwh, r?.MaxKwh }.OfType<decimal>()];
            LocalEdges = [.. new[] { _from, _to }.OfType<LocalTime>()];
        }

        public int Index { get; }

        public IReadOnlyList<long> DurationBounds { get; }

        public IReadOnlyList<decimal> EnergyBoundsKwh { get; }

        public IReadOnlyList<LocalTime> LocalEdges { get; }

        public bool UsesLocalCalendar => _from is not null || _to is not null || _days is not null;

        public PriceComponent? Component(string type) => _element.PriceComponents.FirstOrDefault(c => c.Type == type);

        public bool Holds(Moment m)
        {
            var time = m.Local.TimeOfDay;
            var inWindow = (_from, _to) switch
            {
                ({ } from, { } to) when from < to => time >= from && time < to,
                ({ } from, { } to) => time >= from || time < to,
                ({ } from, null) => time >= from,
                (null, { } to) => to == LocalTime.Midnight || time < to,
                _ => true,
            };
            return inWindow &&
                   (_days is null || _days.Contains(m.Local.DayOfWeek)) &&
                   (_minWh is not { } minWh || m.ConsumedWh >= minWh) &&
                   (_maxWh is not { } maxWh || m.ConsumedWh < maxWh) &&
                   (_minTicks is not { } minTicks || m.ElapsedTicks >= minTicks) &&
                   (_maxTicks is not { } maxTicks || m.ElapsedTicks < maxTicks);
        }
    }

    /// <summary>
    /// The energy register over the session as a non-decreasing piecewise-linear function of time, from meterStart at the
    /// start to max(meterStart, meterStop) at the stop. Values between samples are interpolated and rounded down to the mWh,
    /// so every boundary has one exact value, the energies of consecutive periods add up exactly, and the first instant at
    /// which a kWh bound is reached is the instant the straight line reaches it.
    /// </summary>
    private sealed class EnergyCurve
    {
        private readonly long[] _ticks;
        private readonly decimal[] _wh;

        public EnergyCurve(DateTimeOffset start, DateTimeOffset stop, long meterStartWh, long meterStopWh, IEnumerable<EnergyReading> readings)
        {
            EndWh = Math.Max(meterStartWh, meterStopWh);
            var ticks = new List<long> { start.UtcTicks };
            var wh = new List<decimal> { meterStartWh };
            foreach (var reading in readings.OrderBy(r => r.Timestamp))
            {
                if (reading.Timestamp <= start || reading.Timestamp >= stop)
                {
                    continue;
                }

                var value = Math.Min(Math.Max(wh[^1], reading.Wh), EndWh);
                if (reading.Timestamp.UtcTicks == ticks[^1])
                {
                    wh[^1] = value;
                }
                else
                {
                    ticks.Add(reading.Timestamp.UtcTicks);
                    wh.Add(value);
                }
            }

            if (stop > start)
            {
                ticks.Add(stop.UtcTicks);
                wh.Add(EndWh);
            }

            _ticks = [.. ticks];
            _wh = [.. wh];
        }

        public long EndWh { get; }

        public decimal At(DateTimeOffset time) => At(time.UtcTicks);

        /// <summary>The first instant (to the tick) at which the register reaches <paramref name="targetWh"/>, or null if it never does.</summary>
        public DateTimeOffset? FirstReaching(decimal targetWh)
        {
            if (targetWh <= _wh[0])
            {
                return new DateTimeOffset(_ticks[0], TimeSpan.Zero);
            }

            if (targetWh > _wh[^1])
            {
                return null;
            }

            var j = 1;
            while (_wh[j] < targetWh)
            {
                j++;
            }

            long below = _ticks[j - 1], reached = _ticks[j];
            while (reached - below > 1)
            {
                var middle = below + ((reached - below) / 2);
                if (At(middle) >= targetWh)
                {
                    reached = middle;
                }
                else
                {
                    below = middle;
                }
            }

            return new DateTimeOffset(reached, TimeSpan.Zero);
        }

        private decimal At(long ticks)
        {
            if (ticks <= _ticks[0])
            {
                return _wh[0];
            }

            if (ticks >= _ticks[^1])
            {
                return _wh[^1];
            }

            var i = Array.BinarySearch(_ticks, ticks);
            if (i >= 0)
            {
                return _wh[i];
            }

            i = ~i;
            var (t0, t1, v0, v1) = (_ticks[i - 1], _ticks[i], _wh[i - 1], _wh[i]);
            return Math.Round(v0 + ((v1 - v0) * (ticks - t0) / (t1 - t0)), 3, MidpointRounding.ToNegativeInfinity);
        }
    }
}
