using System.Globalization;
using ChargeLedger.ChargePoints;
using ChargeLedger.IdTags;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;

namespace ChargeLedger.Transactions;

/// <summary>OCPP 1.6 §4.10 StopTransaction.</summary>
public sealed record StopTransaction(
    ChargePointLedger Ledger,
    int TransactionId,
    string? IdTag,
    long MeterStopWh,
    DateTimeOffset Timestamp,
    string? Reason,
    IReadOnlyList<MeterSample> TransactionData);

/// <summary>IdTagInfo is only answered when the stop named an idTag (§6.51).</summary>
public sealed record StopTransactionResult(Authorization? IdTagInfo);

public sealed record StopTransactionContext(TransactionEntry? Closed, IdTag? Tag);

public static class StopTransactionHandler
{
    public static async Task<StopTransactionContext> LoadAsync(StopTransaction command, LedgerStore store, CancellationToken cancellationToken)
    {
        var closed = command.Ledger.OpenTransaction(command.TransactionId) is null
            ? store.LoadTransactionAsync(StreamKeys.TransactionId(command.Ledger.ChargePointId, command.TransactionId), cancellationToken)
            : Task.FromResult<TransactionEntry?>(null);
        var tag = command.IdTag is null ? Task.FromResult<IdTag?>(null) : store.LoadIdTagAsync(command.IdTag, cancellationToken);
        await Task.WhenAll(closed, tag);
        return new StopTransactionContext(await closed, await tag);
    }

    /// <summary>
    /// Always answered with a CALLRESULT (DESIGN rule 3). A stop for a transaction this charge point never started
    /// is kept for reconciliation on the charge point's stream; a second stop changes nothing but is recorded as
    /// a DuplicateStop anomaly; energy is never negative (a meterStop below meterStart bills 0 Wh and is flagged).
    /// </summary>
    public static Decision<StopTransactionResult> Handle(StopTransaction command, StopTransactionContext context, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var ledger = command.Ledger;
        var cp = ledger.ChargePoint;
        var result = new StopTransactionResult(command.IdTag is null ? null : IdTag.Authorize(context.Tag, now));
        var reason = command.Reason ?? "Local"; // §7.37: an absent reason means Local

        if ((ledger.OpenTransaction(command.TransactionId) ?? context.Closed) is not { } entry)
        {
            return Decision.Of(result, LedgerChange.Append(ledger.StreamKey, cp.Version,
                new UnknownTransactionReported(cp.Id, "StopTransaction", command.TransactionId, null, command.MeterStopWh, command.Timestamp,
                    command.IdTag, reason, command.TransactionData, now)));
        }

        var tx = entry.State;
        var stream = StreamKeys.Transaction(tx.Id);
        if (tx.IsStopped)
        {
            var duplicate = new TransactionAnomalyDetected(tx.Id, cp.Id, TransactionAnomaly.DuplicateStop,
                string.Create(CultureInfo.InvariantCulture,
                    $"Stop at {command.Timestamp:O} with meterStop {command.MeterStopWh} Wh after the transaction was stopped at {tx.StoppedAt:O} with {tx.MeterStopWh} Wh"),
                now);
            return Decision.Of(result, new LedgerChange([new StreamAppend(stream, tx.Version, [duplicate], entry.LastHash)], [], []));
        }

        var events = new List<object>
        {
            new TransactionStopped(tx.Id, cp.Id, tx.ConnectorId, command.MeterStopWh, Math.Max(0, command.MeterStopWh - tx.MeterStartWh),
                reason, command.IdTag, command.TransactionData, command.Timestamp, now),
        };
        if (command.MeterStopWh < tx.MeterStartWh)
        {
            events.Add(new TransactionAnomalyDetected(tx.Id, cp.Id, TransactionAnomaly.MeterStopBelowMeterStart,
                string.Create(CultureInfo.InvariantCulture, $"meterStop {command.MeterStopWh} Wh is below meterStart {tx.MeterStartWh} Wh; billed as 0 Wh"), now));
        }
        else if (command.MeterStopWh < tx.LastRegisterWh)
        {
            events.Add(new TransactionAnomalyDetected(tx.Id, cp.Id, TransactionAnomaly.RegisterWentBackwards,
                string.Create(CultureInfo.InvariantCulture, $"meterStop {command.MeterStopWh} Wh is below the last reading {tx.LastRegisterWh} Wh"), now));
        }

        events.AddRange(RecordMeterValuesHandler.Anomalies(tx with { StoppedAt = command.Timestamp }, command.TransactionData, now)
            .Where(a => a.Kind == TransactionAnomaly.ReadingOutsideTransaction));
        return Decision.Of(result, new LedgerChange([new StreamAppend(stream, tx.Version, events, entry.LastHash)], [], [tx.Id]));
    }
}
