namespace ChargeLedger.Tariffs;

/// <summary>
/// A consecutive part of a session in which nothing that decides the price changes (OCPI 2.2.1 CdrChargingPeriod):
/// the connector is charging or not, and the same tariff element applies for each component type (null: none applies).
/// Quantities are exact: energy in Wh (interpolated, to the mWh), duration in seconds.
/// </summary>
public sealed record ChargingPeriod(
    DateTimeOffset StartDateTime,
    DateTimeOffset EndDateTime,
    bool Charging,
    decimal EnergyWh,
    decimal DurationSeconds,
    int? EnergyElement,
    int? TimeElement,
    int? ParkingTimeElement,
    int? FlatElement);

/// <summary>
/// What one tariff component billed over the whole session: <paramref name="Quantity"/> in Wh (ENERGY), seconds (TIME,
/// PARKING_TIME) or sessions (FLAT, always 1), and <paramref name="StepRounding"/>, the rounded-up extra of its type's
/// step size (billed on the component of that type that applied last). The line costs
/// (Quantity + StepRounding) × Price per kWh, per hour or per session; nothing is rounded before the totals.
/// </summary>
public sealed record PriceLine(
    string Type,
    int ElementIndex,
    decimal Price,
    decimal VatPercent,
    int? StepSize,
    decimal Quantity,
    decimal StepRounding);

/// <summary>
/// A priced session. <paramref name="TariffId"/>, <paramref name="TariffVersion"/> and <paramref name="Currency"/> are null
/// when the session could not be priced with a tariff; then every cost is zero and <paramref name="UnpricedReason"/> says
/// why. Totals follow CONTRACT.md: excl. VAT = round(Σ cost), VAT = round(Σ cost × vat / 100), incl. = excl. + VAT,
/// rounding half away from zero to 2 decimals.
/// </summary>
public sealed record PricingResult(
    string? TariffId,
    int? TariffVersion,
    string? Currency,
    string? UnpricedReason,
    long EnergyWh,
    decimal SessionSeconds,
    decimal ChargingSeconds,
    decimal ParkingSeconds,
    IReadOnlyList<ChargingPeriod> ChargingPeriods,
    IReadOnlyList<PriceLine> Lines,
    decimal TotalCostExclVat,
    decimal TotalVat,
    decimal TotalCostInclVat);
