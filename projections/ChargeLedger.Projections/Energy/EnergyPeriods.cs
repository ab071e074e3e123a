using System.Globalization;
using ChargeLedger.Stations;
using NodaTime;

namespace ChargeLedger.Projections.Energy;

public enum EnergyGrouping
{
    Hour,
    Day,
}

/// <summary>
/// One reporting period of a station as a UTC half-open interval [Start, End). Label is a station-local day
/// ("2026-11-24") or the local start of an hour with its offset ("2026-10-25T02:00:00+02:00"), so the hour repeated
/// on a DST fall-back day gets two distinct labels.
/// </summary>
public sealed record EnergyPeriod(DateTimeOffset Start, DateTimeOffset End, string Label);

/// <summary>
/// The one place that maps time to report periods; the energy report and the grid-import report (issue 4) share it.
/// Projections accumulate in zone-independent 15-minute UTC slots (every offset in use is a multiple of 15 minutes,
/// so each station-local hour and day is a whole number of slots), and the zone is applied only at query time.
/// </summary>
public static class EnergyPeriods
{
    public const long SlotTicks = 15 * TimeSpan.TicksPerMinute;

    /// <summary>The 15-minute UTC slot holding <paramref name="at"/>: floor((t - Unix epoch) / 15 min).</summary>
    public static long SlotOf(DateTimeOffset at) => SlotOfTicks(at.UtcTicks);

    public static long SlotOfTicks(long utcTicks) => Math.DivRem(utcTicks - DateTime.UnixEpoch.Ticks, SlotTicks) switch
    {
        var (q, r) when r < 0 => q - 1,
        var (q, _) => q,
    };

    public static long SlotStartTicks(long slot) => DateTime.UnixEpoch.Ticks + (slot * SlotTicks);

    public static DateTimeOffset SlotStart(long slot) => new(SlotStartTicks(slot), TimeSpan.Zero);

    /// <summary>
    /// A UTC window that holds the local dates [from, to] in every zone (offsets range from -12:00 to +14:00), for
    /// narrowing a database query before the stations' own zones are known.
    /// </summary>
    public static (DateTimeOffset Start, DateTimeOffset End) UtcWindowForAnyZone(LocalDate from, LocalDate to) =>
        (new DateTimeOffset(from.PlusDays(-1).ToDateTimeUnspecified(), TimeSpan.Zero),
         new DateTimeOffset(to.PlusDays(2).ToDateTimeUnspecified(), TimeSpan.Zero));

    /// <summary>
    /// The station-local days or hours from <paramref name="from"/> to <paramref name="to"/> (both inclusive), in
    /// order and contiguous. A DST spring-forward day has 23 hours and a fall-back day 25.
    /// </summary>
    public static IReadOnlyList<EnergyPeriod> For(DateTimeZone zone, LocalDate from, LocalDate to, EnergyGrouping grouping)
    {
        var periods = new List<EnergyPeriod>();
        for (var date = from; date <= to; date = date.PlusDays(1))
        {
            var (start, end) = StationClock.Day(date, zone);
            if (grouping == EnergyGrouping.Day)
            {
                periods.Add(new EnergyPeriod(start, end, date.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture)));
            }
            else
            {
                AddHours(periods, zone, start, end);
            }
        }

        return periods;
    }

    /// <summary>
    /// Local hours of one day, found by walking its slots and starting a new period whenever the local hour or the
    /// offset changes: this also copes with zones whose DST shift is not a whole hour (Australia/Lord_Howe).
    /// </summary>
    private static void AddHours(List<EnergyPeriod> periods, DateTimeZone zone, DateTimeOffset dayStart, DateTimeOffset dayEnd)
    {
        var periodStart = dayStart;
        var key = HourKey(zone, dayStart);
        for (var t = dayStart.AddTicks(SlotTicks); t < dayEnd; t = t.AddTicks(SlotTicks))
        {
            var next = HourKey(zone, t);
            if (next != key)
            {
                periods.Add(Hour(zone, periodStart, t));
                periodStart = t;
                key = next;
            }
        }

        periods.Add(Hour(zone, periodStart, dayEnd));
    }

    private static (LocalDateTime Hour, Offset Offset) HourKey(DateTimeZone zone, DateTimeOffset utc)
    {
        var local = Instant.FromDateTimeOffset(utc).InZone(zone);
        return (local.LocalDateTime.Date + new LocalTime(local.Hour, 0), local.Offset);
    }

    private static EnergyPeriod Hour(DateTimeZone zone, DateTimeOffset start, DateTimeOffset end)
    {
        var local = Instant.FromDateTimeOffset(start).InZone(zone).ToDateTimeOffset();
        return new EnergyPeriod(start, end, local.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture));
    }

    /// <summary>Index of the period holding <paramref name="at"/>, or -1 when it lies outside them all.</summary>
    public static int IndexOf(IReadOnlyList<EnergyPeriod> periods, DateTimeOffset at)
    {
        var (lo, hi) = (0, periods.Count - 1);
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (at < periods[mid].Start)
            {
                hi = mid - 1;
            }
            else if (at >= periods[mid].End)
            {
                lo = mid + 1;
            }
            else
            {
                return mid;
            }
        }

        return -1;
    }

    /// <summary>Index of the first period ending after <paramref name="at"/> (periods.Count when none does).</summary>
    public static int FirstEndingAfter(IReadOnlyList<EnergyPeriod> periods, DateTimeOffset at)
    {
        var (lo, hi) = (0, periods.Count);
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (periods[mid].End <= at)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
