using NodaTime;

namespace ChargeLedger.Tariffs;

/// <summary>OCPI 2.2.1 TariffDimensionType values a price component may have (CONTRACT.md Tariffs).</summary>
public static class ComponentTypes
{
    /// <summary>Price per kWh; step size in Wh.</summary>
    public const string Energy = "ENERGY";

    /// <summary>Price per hour with the connector in status Charging; step size in seconds.</summary>
    public const string Time = "TIME";

    /// <summary>Price per hour of the session not charging; step size in seconds.</summary>
    public const string ParkingTime = "PARKING_TIME";

    /// <summary>Price per session; no step size.</summary>
    public const string Flat = "FLAT";

    public static readonly IReadOnlyList<string> All = [Energy, Time, ParkingTime, Flat];
}

/// <summary>OCPI 2.2.1 DayOfWeek names.</summary>
public static class DayNames
{
    private static readonly Dictionary<string, IsoDayOfWeek> Days = new(StringComparer.Ordinal)
    {
        ["MONDAY"] = IsoDayOfWeek.Monday,
        ["TUESDAY"] = IsoDayOfWeek.Tuesday,
        ["WEDNESDAY"] = IsoDayOfWeek.Wednesday,
        ["THURSDAY"] = IsoDayOfWeek.Thursday,
        ["FRIDAY"] = IsoDayOfWeek.Friday,
        ["SATURDAY"] = IsoDayOfWeek.Saturday,
        ["SUNDAY"] = IsoDayOfWeek.Sunday,
    };

    public static bool IsKnown(string? name) => name is not null && Days.ContainsKey(name);

    public static IsoDayOfWeek Parse(string name) => Days[name];
}

/// <summary>
/// One price component of a tariff element, as published. <paramref name="Price"/> is per kWh (ENERGY), per hour
/// (TIME, PARKING_TIME) or per session (FLAT), excluding VAT; <paramref name="VatPercent"/> is 0 when the publisher
/// gave none (OCPI: "if omitted, no VAT is applicable"); <paramref name="StepSize"/> is null for FLAT, else Wh or seconds.
/// </summary>
public sealed record PriceComponent(string Type, decimal Price, decimal VatPercent, int? StepSize);

/// <summary>
/// OCPI 2.2.1 TariffRestrictions, evaluated at every moment of a session: <paramref name="StartTime"/> (inclusive) and
/// <paramref name="EndTime"/> (exclusive) are HH:MM station-local, wrapping midnight when the end is earlier than the
/// start, and either may stand alone (from the start to midnight, from midnight to the end); <paramref name="DaysOfWeek"/>
/// is the station-local day of the moment; kWh bounds are on the energy consumed so far in the session (min inclusive,
/// max exclusive), duration bounds on the time elapsed since the session's start (min inclusive, max exclusive).
/// An endTime of 00:00 is midnight at the end of the day: "20:00"-"00:00" is the evening, "00:00" alone the whole day.
/// </summary>
public sealed record TariffRestrictions(
    string? StartTime = null,
    string? EndTime = null,
    IReadOnlyList<string>? DaysOfWeek = null,
    decimal? MinKwh = null,
    decimal? MaxKwh = null,
    long? MinDurationSeconds = null,
    long? MaxDurationSeconds = null);

public sealed record TariffElement(IReadOnlyList<PriceComponent> PriceComponents, TariffRestrictions? Restrictions = null);

/// <summary>One published version of a tariff: what a session is priced with.</summary>
public sealed record Tariff(string Id, int Version, string Currency, DateTimeOffset ValidFrom, IReadOnlyList<TariffElement> Elements)
{
    public static Tariff From(TariffPublished e) => new(e.TariffId, e.Version, e.Currency, e.ValidFrom, e.Elements);

    /// <summary>
    /// The version in force at <paramref name="at"/> (CONTRACT.md): the latest version whose validFrom is not after it.
    /// "Latest" is the highest version number, so a correction published later with an earlier validFrom wins.
    /// </summary>
    public static Tariff? InForceAt(IEnumerable<TariffPublished> versions, DateTimeOffset at) =>
        versions.Where(v => v.ValidFrom <= at).MaxBy(v => v.Version) is { } version ? From(version) : null;
}

/// <summary>Every published version of one tariff, read from its stream; empty when the tariff was never published.</summary>
public sealed record TariffHistory(string TariffId, IReadOnlyList<TariffPublished> Versions, long StreamVersion)
{
    public bool Exists => Versions.Count > 0;

    public string? Currency => Versions.Count > 0 ? Versions[^1].Currency : null;

    public Tariff? InForceAt(DateTimeOffset at) => Tariff.InForceAt(Versions, at);

    public Tariff? Version(int version) => Versions.FirstOrDefault(v => v.Version == version) is { } v ? Tariff.From(v) : null;
}
