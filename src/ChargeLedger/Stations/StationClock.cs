using NodaTime;

namespace ChargeLedger.Stations;

/// <summary>
/// Station-local calendar arithmetic (reports, uptime days, tariff restrictions). Uses NodaTime's embedded IANA database,
/// so a replay on another machine (other OS tzdata) gives the same days and hours.
/// </summary>
public static class StationClock
{
    public static bool IsKnownZone(string? timeZone) => timeZone is not null && DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZone) is not null;

    public static DateTimeZone Zone(string timeZone) =>
        DateTimeZoneProviders.Tzdb.GetZoneOrNull(timeZone) ?? throw new ArgumentException($"Unknown IANA time zone '{timeZone}'", nameof(timeZone));

    public static LocalDateTime LocalTime(DateTimeOffset utc, DateTimeZone zone) => Instant.FromDateTimeOffset(utc).InZone(zone).LocalDateTime;

    public static LocalDate LocalDate(DateTimeOffset utc, DateTimeZone zone) => LocalTime(utc, zone).Date;

    /// <summary>A station-local day as a UTC half-open interval [start, end); 23 or 25 hours on DST change days.</summary>
    public static (DateTimeOffset Start, DateTimeOffset End) Day(LocalDate date, DateTimeZone zone) =>
        (zone.AtStartOfDay(date).ToDateTimeOffset().ToUniversalTime(), zone.AtStartOfDay(date.PlusDays(1)).ToDateTimeOffset().ToUniversalTime());

    /// <summary>The UTC instant a station-local wall time maps to (gaps skip forward, overlaps take the earlier instant).</summary>
    public static DateTimeOffset ToUtc(LocalDateTime local, DateTimeZone zone) => zone.AtLeniently(local).ToDateTimeOffset().ToUniversalTime();
}
