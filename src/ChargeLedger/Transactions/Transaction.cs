using System.Collections.Immutable;
using ChargeLedger.Tariffs;

namespace ChargeLedger.Transactions;

/// <summary>The transaction aggregate, folded from its stream.</summary>
public sealed record Transaction(
    string Id,
    int OcppTransactionId,
    string ChargePointId,
    string StationId,
    int ConnectorId,
    string IdTag,
    long MeterStartWh,
    DateTimeOffset StartedAt,
    long LastRegisterWh,
    DateTimeOffset LastReadingAt,
    bool IsStopped,
    long? MeterStopWh,
    DateTimeOffset? StoppedAt,
    string? StopReason,
    bool IsSuperseded,
    ImmutableHashSet<string> RecordedMeterValues,
    long Version)
{
    /// <summary>The effective pricing: the last TransactionPriced or TransactionRepriced; null until priced.</summary>
    public PricingResult? Pricing { get; init; }

    public static Transaction Create(TransactionStarted e) =>
        new(e.TransactionId, e.OcppTransactionId, e.ChargePointId, e.StationId, e.ConnectorId, e.IdTag, e.MeterStartWh,
            e.StartedAt, e.MeterStartWh, e.StartedAt, false, null, null, null, false, [], 0);

    public Transaction Apply(MeterValuesRecorded e)
    {
        var recorded = this with { RecordedMeterValues = RecordedMeterValues.Add(MeterReadings.Fingerprint(e.ConnectorId, e.Samples)) };
        var latest = MeterReadings.LatestEnergyRegister(e.Samples);
        return latest is { } r && r.Timestamp >= LastReadingAt
            ? recorded with { LastRegisterWh = r.Wh, LastReadingAt = r.Timestamp }
            : recorded;
    }

    public Transaction Apply(TransactionStopped e) =>
        this with { IsStopped = true, MeterStopWh = e.MeterStopWh, StoppedAt = e.StoppedAt, StopReason = e.Reason };

    public Transaction Apply(TransactionAnomalyDetected e) =>
        e.Kind == TransactionAnomaly.SupersededWithoutStop ? this with { IsSuperseded = true } : this;

    public Transaction Apply(TransactionPriced e) => this with { Pricing = e.Pricing };

    public Transaction Apply(TransactionRepriced e) => this with { Pricing = e.Pricing };

    public bool IsOpen => !IsStopped && !IsSuperseded;

    public static Transaction? Advance(Transaction? state, object @event)
    {
        var next = (state, @event) switch
        {
            (null, TransactionStarted e) => Create(e),
            (null, _) => null,
            (_, MeterValuesRecorded e) => state.Apply(e),
            (_, TransactionStopped e) => state.Apply(e),
            (_, TransactionAnomalyDetected e) => state.Apply(e),
            (_, TransactionPriced e) => state.Apply(e),
            (_, TransactionRepriced e) => state.Apply(e),
            _ => state,
        };
        return next is null ? null : next with { Version = (state?.Version ?? 0) + 1 };
    }

    public static Transaction? Fold(IEnumerable<object> events) => events.Aggregate((Transaction?)null, Advance);
}
