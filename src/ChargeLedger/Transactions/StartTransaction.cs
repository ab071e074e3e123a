using ChargeLedger.IdTags;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;

namespace ChargeLedger.Transactions;

/// <summary>OCPP 1.6 §4.8 StartTransaction.</summary>
public sealed record StartTransaction(
    ChargePointLedger Ledger,
    int ConnectorId,
    string IdTag,
    long MeterStartWh,
    DateTimeOffset Timestamp,
    int? ReservationId);

public sealed record StartTransactionResult(int TransactionId, Authorization IdTagInfo);

/// <summary>What the decision needs from storage: an earlier identical start, the idTag, and a fresh id.</summary>
public sealed record StartTransactionContext(TransactionStartKey? Earlier, IdTag? Tag, int NewTransactionId);

public static class StartTransactionHandler
{
    public static async Task<StartTransactionContext> LoadAsync(StartTransaction command, LedgerStore store, CancellationToken cancellationToken)
    {
        var ledger = command.Ledger;
        var key = TransactionStartKey.For(ledger.ChargePointId, command.ConnectorId, command.IdTag, command.Timestamp, command.MeterStartWh);
        if (ledger.RecentStart(key) is { } recent)
        {
            return new StartTransactionContext(recent, null, 0);
        }

        // Usually no read at all: the ledger knows this connection's starts, the Authorize just before read the idTag,
        // and the id comes from a prefetched block. Otherwise one round trip for both reads. A replay burns the id it
        // drew; transactionIds need to be unique and positive, not gapless.
        if (!ledger.StartsMayBeUnknown && store.TryRecentIdTag(command.IdTag, out var remembered))
        {
            return new StartTransactionContext(null, remembered, await store.NextTransactionIdAsync(cancellationToken));
        }

        var reads = ledger.StartsMayBeUnknown
            ? store.FindStartAndIdTagAsync(key, command.IdTag, cancellationToken)
            : ReadIdTagOnlyAsync(store, command.IdTag, cancellationToken);
        var id = store.NextTransactionIdAsync(cancellationToken);
        await Task.WhenAll(reads, id);
        var (earlier, tag) = await reads;
        return new StartTransactionContext(earlier, tag, await id);
    }

    private static async Task<(TransactionStartKey? Earlier, IdTag? Tag)> ReadIdTagOnlyAsync(LedgerStore store, string idTag,
        CancellationToken cancellationToken) => (null, await store.LoadIdTagAsync(idTag, cancellationToken));

    /// <summary>
    /// A replay of the same start returns the same transactionId and writes nothing (DESIGN rule 2). An unknown,
    /// blocked or expired idTag is answered with that status but the transaction is still recorded: the car may
    /// already be charging (OCPP 1.6 §5.x, RELIABILITY C11). A start on a connector that still has an open
    /// transaction supersedes it: the old one is flagged for reconciliation, not silently dropped.
    /// </summary>
    public static Decision<StartTransactionResult> Handle(StartTransaction command, StartTransactionContext context, TimeProvider time)
    {
        var now = time.GetUtcNow();
        if (context.Earlier is { } earlier)
        {
            // The same question gets the same answer: the status decided when the start was first recorded.
            var first = Enum.Parse<AuthorizationStatus>(earlier.IdTagStatus);
            return Decision.Nothing(new StartTransactionResult(earlier.OcppTransactionId, new Authorization(first, null, null)));
        }

        var authorization = IdTag.Authorize(context.Tag, now);

        var ledger = command.Ledger;
        var cp = ledger.ChargePoint;
        var transactionId = StreamKeys.TransactionId(cp.Id, context.NewTransactionId);
        var started = new TransactionStarted(transactionId, context.NewTransactionId, cp.Id, cp.StationId, command.ConnectorId,
            command.IdTag, authorization.Status.ToString(), command.MeterStartWh, command.ReservationId, command.Timestamp, now);

        var appends = new List<StreamAppend> { new(StreamKeys.Transaction(transactionId), 0, [started], "") };
        var closed = new List<string>();
        if (ledger.OpenTransactionOnConnector(command.ConnectorId) is { } previous)
        {
            var superseded = new TransactionAnomalyDetected(previous.State.Id, cp.Id, TransactionAnomaly.SupersededWithoutStop,
                $"Transaction {context.NewTransactionId} started on connector {command.ConnectorId} before this one was stopped", now);
            appends.Add(new StreamAppend(StreamKeys.Transaction(previous.State.Id), previous.State.Version, [superseded], previous.LastHash));
            closed.Add(previous.State.Id);
        }

        var startKey = TransactionStartKey.For(cp.Id, command.ConnectorId, command.IdTag, command.Timestamp, command.MeterStartWh);
        var inserts = new List<object>
        {
            new TransactionStartKey
            {
                Id = startKey, TransactionId = transactionId, OcppTransactionId = context.NewTransactionId,
                IdTagStatus = authorization.Status.ToString(),
            },
            new OpenTransactionIndex { Id = transactionId, ChargePointId = cp.Id, OcppTransactionId = context.NewTransactionId },
        };
        return Decision.Of(new StartTransactionResult(context.NewTransactionId, authorization), new LedgerChange(appends, inserts, closed));
    }
}
