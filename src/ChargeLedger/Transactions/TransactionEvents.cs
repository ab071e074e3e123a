using ChargeLedger.Tariffs;

namespace ChargeLedger.Transactions;

// Stream: transaction:{chargePointId}:{ocppTransactionId}; every event is sealed into the stream's hash chain.

/// <summary>One sampled value exactly as the charge point sent it (OCPP 1.6 §7.43); Value is kept byte for byte (signed data).</summary>
public sealed record MeterSample(
    DateTimeOffset Timestamp,
    string Value,
    string? Measurand,
    string? Phase,
    string? Unit,
    string? Context,
    string? Format,
    string? Location);

public sealed record TransactionStarted(
    string TransactionId,
    int OcppTransactionId,
    string ChargePointId,
    string StationId,
    int ConnectorId,
    string IdTag,
    string IdTagStatus,
    long MeterStartWh,
    int? ReservationId,
    DateTimeOffset StartedAt,
    DateTimeOffset ReceivedAt);

public sealed record MeterValuesRecorded(
    string TransactionId,
    string ChargePointId,
    int ConnectorId,
    IReadOnlyList<MeterSample> Samples,
    DateTimeOffset ReceivedAt);

public sealed record TransactionStopped(
    string TransactionId,
    string ChargePointId,
    int ConnectorId,
    long MeterStopWh,
    long EnergyWh,
    string Reason,
    string? IdTag,
    IReadOnlyList<MeterSample> TransactionData,
    DateTimeOffset StoppedAt,
    DateTimeOffset ReceivedAt);

public sealed record TransactionAnomalyDetected(
    string TransactionId,
    string ChargePointId,
    TransactionAnomaly Kind,
    string Detail,
    DateTimeOffset DetectedAt);

/// <summary>
/// The session priced once it stopped, with the tariff version in force at its start (CONTRACT.md Tariffs), sealed into
/// the stream's hash chain like every transaction event. Carries what the charge detail record needs (idTag, station,
/// device times, the station's time zone used for local time) so the CDR can be rebuilt from this stream alone.
/// A session with nothing to price it with is priced at zero with <see cref="PricingResult.UnpricedReason"/>.
/// </summary>
public sealed record TransactionPriced(
    string TransactionId,
    string ChargePointId,
    string StationId,
    string IdTag,
    string TimeZone,
    DateTimeOffset StartedAt,
    DateTimeOffset StoppedAt,
    PricingResult Pricing,
    DateTimeOffset PricedAt);

/// <summary>
/// A re-rating: the complete new pricing, which from now on is the effective one, and the adjustment against the pricing
/// effective before (new totals − previous totals: negative is a credit note, positive a debit note), with who asked
/// (API key name) and why. Earlier pricings stay in the stream untouched.
/// </summary>
public sealed record TransactionRepriced(
    string TransactionId,
    string Reason,
    string RequestedBy,
    string? PreviousTariffId,
    int? PreviousTariffVersion,
    PricingResult Pricing,
    decimal AdjustmentExclVat,
    decimal AdjustmentVat,
    decimal AdjustmentInclVat,
    DateTimeOffset RepricedAt);

/// <summary>Business anomalies are acknowledged to the charge point and recorded, never answered with a CALLERROR (DESIGN rule 3).</summary>
public enum TransactionAnomaly
{
    RegisterWentBackwards,
    ReadingOutsideTransaction,
    MeterStopBelowMeterStart,
    DuplicateStop,
    SupersededWithoutStop,
}
