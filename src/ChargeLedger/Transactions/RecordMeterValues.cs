using System.Globalization;
using ChargeLedger.ChargePoints;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;

namespace ChargeLedger.Transactions;

/// <summary>OCPP 1.6 §4.7 MeterValues.</summary>
public sealed record RecordMeterValues(ChargePointLedger Ledger, int ConnectorId, int? TransactionId, IReadOnlyList<MeterSample> Samples);

/// <summary>A transaction that is not open in the ledger, loaded from its stream (stopped or superseded), or null.</summary>
public sealed record ClosedTransactionLookup(TransactionEntry? Entry);

public static class RecordMeterValuesHandler
{
    public static async Task<ClosedTransactionLookup> LoadAsync(RecordMeterValues command, LedgerStore store, CancellationToken cancellationToken) =>
        command.TransactionId is { } id && command.Ledger.OpenTransaction(id) is null
            ? new ClosedTransactionLookup(await store.LoadTransactionAsync(StreamKeys.TransactionId(command.Ledger.ChargePointId, id), cancellationToken))
            : new ClosedTransactionLookup(null);

    /// <summary>
    /// Every sampled value is kept exactly as sent; a resent identical message is acknowledged and not recorded again. A register going backwards, or a reading outside the
    /// transaction's time, is recorded beside it as an anomaly; MeterValues is never answered with a CALLERROR
    /// (DESIGN rule 3). Values for no or an unknown transaction stay on the charge point's stream (RELIABILITY C4).
    /// </summary>
    public static Decision<bool> Handle(RecordMeterValues command, ClosedTransactionLookup lookup, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var ledger = command.Ledger;
        var cp = ledger.ChargePoint;
        if (command.TransactionId is not { } ocppId)
        {
            return Decision.Of(true, LedgerChange.Append(ledger.StreamKey, cp.Version,
                new ChargePointMeterValuesRecorded(cp.Id, command.ConnectorId, command.Samples, now)));
        }

        if ((ledger.OpenTransaction(ocppId) ?? lookup.Entry) is not { } entry)
        {
            return Decision.Of(true, LedgerChange.Append(ledger.StreamKey, cp.Version,
                new UnknownTransactionReported(cp.Id, "MeterValues", ocppId, command.ConnectorId, null, null, null, null, command.Samples, now)));
        }

        var tx = entry.State;
        if (tx.RecordedMeterValues.Contains(MeterReadings.Fingerprint(command.ConnectorId, command.Samples)))
        {
            return Decision.Nothing(true);
        }

        var events = new List<object> { new MeterValuesRecorded(tx.Id, cp.Id, command.ConnectorId, command.Samples, now) };
        events.AddRange(Anomalies(tx, command.Samples, now));
        return Decision.Of(true, new LedgerChange(
            [new StreamAppend(StreamKeys.Transaction(tx.Id), tx.Version, events, entry.LastHash)], [], []));
    }

    internal static IEnumerable<TransactionAnomalyDetected> Anomalies(Transaction tx, IReadOnlyList<MeterSample> samples, DateTimeOffset now)
    {
        var outside = samples.FirstOrDefault(s => s.Timestamp < tx.StartedAt || (tx.StoppedAt is { } stop && s.Timestamp > stop));
        if (outside is not null)
        {
            yield return new TransactionAnomalyDetected(tx.Id, tx.ChargePointId, TransactionAnomaly.ReadingOutsideTransaction,
                string.Create(CultureInfo.InvariantCulture,
                    $"Reading at {outside.Timestamp:O} is outside the transaction ({tx.StartedAt:O} - {tx.StoppedAt?.ToString("O", CultureInfo.InvariantCulture) ?? "open"})"),
                now);
        }

        var last = tx.LastRegisterWh;
        foreach (var reading in MeterReadings.EnergyRegister(samples).OrderBy(r => r.Timestamp))
        {
            if (reading.Wh < last)
            {
                yield return new TransactionAnomalyDetected(tx.Id, tx.ChargePointId, TransactionAnomaly.RegisterWentBackwards,
                    string.Create(CultureInfo.InvariantCulture, $"Energy register {reading.Wh} Wh at {reading.Timestamp:O} is below the previous {last} Wh"),
                    now);
                yield break;
            }

            last = reading.Wh;
        }
    }
}
