using ChargeLedger.ChargePoints;
using ChargeLedger.Shared;
using ChargeLedger.Transactions;

namespace ChargeLedger.Ledger;

/// <summary>A transaction as the write side knows it: folded state plus the last link of its hash chain.</summary>
public sealed record TransactionEntry(Transaction State, string LastHash);

/// <summary>
/// The write-side state of one connected charge point: its aggregate and its open transactions, loaded when it
/// connects and advanced after every commit. Only the charge point's own connection uses it, one message at a time,
/// so it needs no lock; anything written elsewhere is caught by the expected-version check on commit, after which
/// the ledger is reloaded and the decision made again.
/// </summary>
public sealed class ChargePointLedger
{
    private readonly Dictionary<int, TransactionEntry> _open = [];

    public ChargePointLedger(ChargePoint chargePoint, IEnumerable<TransactionEntry> openTransactions)
    {
        ChargePoint = chargePoint;
        foreach (var entry in openTransactions)
        {
            _open[entry.State.OcppTransactionId] = entry;
        }
    }

    public ChargePoint ChargePoint { get; private set; }

    public string ChargePointId => ChargePoint.Id;

    public string StreamKey => StreamKeys.ChargePoint(ChargePoint.Id);

    public IReadOnlyCollection<TransactionEntry> OpenTransactions => _open.Values;

    public TransactionEntry? OpenTransaction(int ocppTransactionId) => _open.GetValueOrDefault(ocppTransactionId);

    public TransactionEntry? OpenTransactionOnConnector(int connectorId) =>
        _open.Values.Where(t => t.State.ConnectorId == connectorId).MaxBy(t => t.State.StartedAt);

    /// <summary>Advances the in-memory state by a change that has been committed.</summary>
    public void Apply(LedgerChange change, CommitReceipt receipt)
    {
        foreach (var append in change.Appends)
        {
            if (append.StreamKey == StreamKey)
            {
                ChargePoint = append.Events.Aggregate(ChargePoint, (cp, e) => ChargePoint.Advance(cp, e)!);
                continue;
            }

            if (!append.StreamKey.StartsWith(StreamKeys.TransactionPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var current = _open.Values.FirstOrDefault(t => StreamKeys.Transaction(t.State.Id) == append.StreamKey);
            var state = append.Events.Aggregate(current?.State, Transaction.Advance);
            if (state is null)
            {
                continue;
            }

            var hash = receipt.LastHashes.GetValueOrDefault(append.StreamKey, current?.LastHash ?? "");
            if (state.IsOpen)
            {
                _open[state.OcppTransactionId] = new TransactionEntry(state, hash);
            }
            else
            {
                _open.Remove(state.OcppTransactionId);
            }
        }
    }

    /// <summary>Replaces the state with a fresh load (after a concurrency conflict).</summary>
    public void Reset(ChargePointLedger fresh)
    {
        ChargePoint = fresh.ChargePoint;
        _open.Clear();
        foreach (var entry in fresh._open.Values)
        {
            _open[entry.State.OcppTransactionId] = entry;
        }
    }
}
