using System.Globalization;
using ChargeLedger.Stations;
using ChargeLedger.Tariffs;
using ChargeLedger.Transactions;
using CsCheck;

namespace ChargeLedger.Tests.Tariffs;

/// <summary>
/// Invariants of the pricing engine over generated tariffs and sessions: random restrictions of every kind, registers
/// that go backwards, meter stops below the start, status reports before, during and after the session, zones with
/// 30-minute DST shifts and starts biased towards the 2026 DST weekends.
/// </summary>
public class TariffPricingPropertyTests
{
    private const long Iterations = 400;

    internal static readonly string[] Zones = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Kolkata"];
    private static readonly string[] Days = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"];
    private static readonly DateTimeOffset Year = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // Biased towards 01:00-03:45, where the European and American DST changes shift the wall clock.
    private static readonly Gen<string> TimeOfDay = Gen.Select(Gen.Frequency((2, Gen.Int[0, 23]), (1, Gen.Int[1, 3])), Gen.Int[0, 3], (h, q) =>
        string.Create(CultureInfo.InvariantCulture, $"{h:00}:{q * 15:00}"));

    private static readonly Gen<TariffRestrictions?> Restrictions =
        from kind in Gen.Int[0, 3]
        from window in Gen.Int[0, 3]
        from startTime in TimeOfDay
        from endTime in TimeOfDay
        from days in Gen.Int[0, 6].HashSet[1, 4]
        from kwh in Gen.Int[0, 3]
        from minKwh in Gen.Int[0, 30]
        from maxKwh in Gen.Int[1, 40]
        from duration in Gen.Int[0, 3]
        from minSeconds in Gen.Int[0, 20_000]
        from maxSeconds in Gen.Int[1, 30_000]
        select kind == 0
            ? null
            : new TariffRestrictions(
                window is 1 or 3 ? startTime : null,
                window is 2 or 3 ? endTime : null,
                kind == 2 ? [.. days.Order().Select(d => Days[d])] : null,
                kwh is 1 or 3 ? minKwh : null,
                kwh is 2 or 3 ? maxKwh : null,
                duration is 1 or 3 ? minSeconds : null,
                duration is 2 or 3 ? maxSeconds : null);

    private static readonly Gen<PriceComponent> Component =
        from type in Gen.OneOf(ComponentTypes.Energy, ComponentTypes.Time, ComponentTypes.ParkingTime, ComponentTypes.Flat)
        from price in Gen.Int[0, 50_000]
        from vat in Gen.OneOf(0m, 7m, 19m, 20.5m, 100m)
        from step in Gen.OneOf(Gen.Const(1), Gen.Int[1, 1_800])
        select new PriceComponent(type, price / 10_000m, vat, type == ComponentTypes.Flat ? null : step);

    private static readonly Gen<TariffElement> Element =
        from components in Component.Array[1, 4]
        from restrictions in Restrictions
        select new TariffElement([.. components.DistinctBy(c => c.Type)], restrictions);

    internal static readonly Gen<Tariff> Tariffs =
        from elements in Element.Array[1, 5]
        select new Tariff("T-P", 1, "EUR", Year, elements);

    private static readonly Gen<DateTimeOffset> Starts = Gen.Frequency(
        (3, Gen.Int[0, 365 * 24 * 60].Select(m => Year.AddMinutes(m))),
        (1, Gen.Int[-36 * 60, 12 * 60].Select(m => new DateTimeOffset(2026, 3, 29, 0, 0, 0, TimeSpan.Zero).AddMinutes(m))),
        (1, Gen.Int[-36 * 60, 12 * 60].Select(m => new DateTimeOffset(2026, 10, 25, 0, 0, 0, TimeSpan.Zero).AddMinutes(m))));

    internal static readonly Gen<SessionUsage> Sessions = SessionsFrom(Starts);

    private static Gen<SessionUsage> SessionsFrom(Gen<DateTimeOffset> starts) =>
        from start in starts
        from seconds in Gen.Frequency((1, Gen.Const(0)), (9, Gen.Int[1, 36 * 3_600]))
        from meterStart in Gen.Int[0, 1_000_000]
        from energy in Gen.Int[-500, 80_000]
        from readings in Gen.Select(Gen.Int[0, 1_000], Gen.Int[-1_000, 90_000]).Array[0, 8]
        from statuses in Gen.Select(Gen.Int[-600, 36 * 3_600 + 600], Gen.Bool).Array[0, 6]
        select new SessionUsage(start, start.AddSeconds(seconds), meterStart, meterStart + energy,
            [.. readings.Select(r => new EnergyReading(start.AddTicks(TimeSpan.FromSeconds(seconds).Ticks * r.Item1 / 1_000), meterStart + r.Item2))],
            [.. statuses.Where(s => s.Item1 <= seconds + 600).Select(s => new ChargingStateChange(start.AddSeconds(s.Item1), s.Item2))]);

    [Fact]
    public void costs_are_never_negative_and_quantities_add_up()
    {
        Gen.Select(Tariffs, Sessions, Gen.OneOf(Zones)).Sample((tariff, usage, zone) =>
        {
            var result = TariffPricing.Price(tariff, StationClock.Zone(zone), usage);

            result.TotalCostExclVat.ShouldBeGreaterThanOrEqualTo(0m);
            result.TotalVat.ShouldBeGreaterThanOrEqualTo(0m);
            result.TotalCostInclVat.ShouldBe(result.TotalCostExclVat + result.TotalVat);
            result.EnergyWh.ShouldBe(Math.Max(0, usage.MeterStopWh - usage.MeterStartWh));
            result.ChargingPeriods.ShouldAllBe(p => p.EnergyWh >= 0m && p.DurationSeconds >= 0m);
            result.ChargingPeriods.Sum(p => p.EnergyWh).ShouldBe(result.EnergyWh);
            result.ChargingPeriods.Sum(p => p.DurationSeconds).ShouldBe(result.SessionSeconds);
            (result.ChargingSeconds + result.ParkingSeconds).ShouldBe(result.SessionSeconds);
            result.ChargingPeriods[0].StartDateTime.ShouldBe(usage.StartedAt);
            result.ChargingPeriods.Zip(result.ChargingPeriods.Skip(1)).ShouldAllBe(p => p.First.EndDateTime == p.Second.StartDateTime);
            result.Lines.ShouldAllBe(l => l.Quantity >= 0m && l.StepRounding >= 0m && l.StepRounding < (l.StepSize ?? 1));
        }, iter: Iterations);
    }

    [Fact]
    public void cutting_a_session_at_more_instants_never_changes_its_periods_lines_or_totals()
    {
        // A status report repeating the state in force is a cut where nothing changes: everything must stay the same.
        Gen.Select(Tariffs, Sessions, Gen.OneOf(Zones), Gen.Int[1, 999].Array[1, 6]).Sample((tariff, usage, zone, permille) =>
        {
            var tz = StationClock.Zone(zone);
            var duration = usage.StoppedAt - usage.StartedAt;
            var extra = permille.Select(p => usage.StartedAt.AddTicks(duration.Ticks * p / 1_000))
                .Where(at => at > usage.StartedAt && at < usage.StoppedAt)
                .Select(at => new ChargingStateChange(at, ChargingAt(usage, at)));
            var cut = usage with { StatusChanges = [.. usage.StatusChanges, .. extra] };

            var original = TariffPricing.Price(tariff, tz, usage);
            var split = TariffPricing.Price(tariff, tz, cut);

            split.ChargingPeriods.ShouldBe(original.ChargingPeriods);
            split.Lines.ShouldBe(original.Lines);
            Totals(split).ShouldBe(Totals(original));
        }, iter: Iterations);
    }

    [Fact]
    public void splitting_an_element_into_a_time_window_and_the_rest_never_changes_the_totals()
    {
        // Element i and a copy of it restricted to [from, to) placed before it price every moment the same way, so the
        // totals and each type's billed quantity are equal, however the session's periods are cut differently.
        Gen.Select(Tariffs, Sessions, Gen.OneOf(Zones), Gen.Select(Gen.Int[0, 4], TimeOfDay, TimeOfDay)).Sample((tariff, usage, zone, split) =>
        {
            var (index, from, to) = split;
            var i = index % tariff.Elements.Count;
            var element = tariff.Elements[i];
            if (element.Restrictions is { StartTime: not null } or { EndTime: not null } || from == to)
            {
                return;
            }

            var window = element with { Restrictions = (element.Restrictions ?? new TariffRestrictions()) with { StartTime = from, EndTime = to } };
            var splitTariff = tariff with { Elements = [.. tariff.Elements.Take(i), window, .. tariff.Elements.Skip(i)] };
            var tz = StationClock.Zone(zone);

            var original = TariffPricing.Price(tariff, tz, usage);
            var result = TariffPricing.Price(splitTariff, tz, usage);

            Totals(result).ShouldBe(Totals(original));
            BilledPerType(result).ShouldBe(BilledPerType(original));
        }, iter: Iterations);
    }

    [Fact]
    public void pricing_the_same_session_with_the_same_tariff_twice_gives_the_same_result()
    {
        Gen.Select(Tariffs, Sessions, Gen.OneOf(Zones)).Sample((tariff, usage, zone) =>
        {
            var first = TariffPricing.Price(tariff, StationClock.Zone(zone), usage);
            var second = TariffPricing.Price(tariff, StationClock.Zone(zone), usage);

            second.ChargingPeriods.ShouldBe(first.ChargingPeriods);
            second.Lines.ShouldBe(first.Lines);
            Totals(second).ShouldBe(Totals(first));
        }, iter: 100);
    }

    [Fact]
    public void time_and_parking_quantities_match_a_second_by_second_walk_of_the_session()
    {
        // An independent oracle for the cutting logic: walk the session one second at a time (starts, reports and
        // HH:MM edges all fall on whole seconds, so this is exact), read the station-local clock at each second and give
        // it to the first element that holds and has a TIME (charging) or PARKING_TIME (not charging) component.
        // kWh bounds are left out here; they are covered by the golden cases.
        var tariffs = Tariffs.Select(t => t with
        {
            Elements = [.. t.Elements.Select(e => e with { Restrictions = e.Restrictions is null ? null : e.Restrictions with { MinKwh = null, MaxKwh = null } })],
        });
        var cases =
            from zone in Gen.OneOf(Zones)
            from usage in SessionsFrom(Gen.Frequency((1, Starts), (3, NearTransitions(zone))))
            from tariff in tariffs
            select (tariff, usage with { StoppedAt = usage.StartedAt.AddSeconds(Math.Min((usage.StoppedAt - usage.StartedAt).TotalSeconds, 6 * 3_600)) }, zone);
        cases.Sample((tariff, usage, zone) =>
        {
            var tz = StationClock.Zone(zone);
            var expected = new Dictionary<(string, int), decimal>();
            for (var at = usage.StartedAt; at < usage.StoppedAt; at = at.AddSeconds(1))
            {
                var charging = ChargingAt(usage, at);
                var type = charging ? ComponentTypes.Time : ComponentTypes.ParkingTime;
                var local = StationClock.LocalTime(at, tz);
                var index = tariff.Elements.ToList().FindIndex(e =>
                    e.PriceComponents.Any(c => c.Type == type) && HoldsAt(e.Restrictions, local, (long)(at - usage.StartedAt).TotalSeconds));
                if (index >= 0)
                {
                    expected[(type, index)] = expected.GetValueOrDefault((type, index)) + 1m;
                }
            }

            var result = TariffPricing.Price(tariff, tz, usage);

            result.Lines.Where(l => l.Type is ComponentTypes.Time or ComponentTypes.ParkingTime && l.Quantity > 0m)
                .ToDictionary(l => (l.Type, l.ElementIndex), l => l.Quantity)
                .ShouldBe(expected, ignoreOrder: true, Describe(tariff));
        }, iter: 150);
    }

    private static string Describe(Tariff tariff) => string.Join(" | ", tariff.Elements.Select(e =>
        $"{string.Join(",", e.PriceComponents.Select(c => c.Type))} {e.Restrictions} days={string.Join(",", e.Restrictions?.DaysOfWeek ?? [])}"));

    /// <summary>Starts from 5 h before to 1 h after one of the zone's 2026 offset changes (DST), or any start if it has none.</summary>
    private static Gen<DateTimeOffset> NearTransitions(string zone)
    {
        var transitions = StationClock.Zone(zone)
            .GetZoneIntervals(NodaTime.Instant.FromDateTimeOffset(Year), NodaTime.Instant.FromDateTimeOffset(Year.AddYears(1)))
            .Where(i => i.HasStart && i.Start.ToDateTimeOffset() >= Year)
            .Select(i => i.Start.ToDateTimeOffset())
            .ToArray();
        return transitions.Length == 0 ? Starts : Gen.Select(Gen.OneOf(transitions), Gen.Int[-300, 60], (t, minutes) => t.AddMinutes(minutes));
    }

    private static bool HoldsAt(TariffRestrictions? r, NodaTime.LocalDateTime local, long elapsedSeconds)
    {
        if (r is null)
        {
            return true;
        }

        var minute = (local.Hour * 60) + local.Minute;
        static int Minute(string hhmm) => (int.Parse(hhmm[..2], CultureInfo.InvariantCulture) * 60) + int.Parse(hhmm[3..], CultureInfo.InvariantCulture);
        var from = r.StartTime is null ? 0 : Minute(r.StartTime);
        var to = r.EndTime is null ? 24 * 60 : Minute(r.EndTime);
        var inWindow = from < to ? minute >= from && minute < to : minute >= from || minute < to;
        return inWindow &&
               (r.DaysOfWeek is null || r.DaysOfWeek.Contains(local.DayOfWeek.ToString().ToUpperInvariant())) &&
               (r.MinDurationSeconds is null || elapsedSeconds >= r.MinDurationSeconds) &&
               (r.MaxDurationSeconds is null || elapsedSeconds < r.MaxDurationSeconds);
    }

    /// <summary>The engine's documented rule: charging until the first report at or after the start, then the last report's state.</summary>
    private static bool ChargingAt(SessionUsage usage, DateTimeOffset at) =>
        usage.StatusChanges.Where(c => c.At >= usage.StartedAt && c.At < usage.StoppedAt && c.At <= at)
            .OrderBy(c => c.At).Select(c => (bool?)c.Charging).LastOrDefault() ?? true;

    private static (decimal, decimal, decimal) Totals(PricingResult r) => (r.TotalCostExclVat, r.TotalVat, r.TotalCostInclVat);

    private static Dictionary<string, decimal> BilledPerType(PricingResult r) =>
        r.Lines.GroupBy(l => l.Type).ToDictionary(g => g.Key, g => g.Sum(l => l.Quantity + l.StepRounding));
}
