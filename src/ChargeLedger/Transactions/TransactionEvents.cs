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

/// <summary>Business anomalies are acknowledged to the charge point and recorded, never answered with a CALLERROR (DESIGN rule 3).</summary>
public enum TransactionAnomaly
{
    RegisterWentBackwards,
    ReadingOutsideTransaction,
    MeterStopBelowMeterStart,
    DuplicateStop,
    SupersededWithoutStop,
}
