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
    private const int RememberedStarts = 16;
    private readonly Dictionary<int, TransactionEntry> _open = [];
    private readonly Dictionary<string, TransactionStartKey> _recentStarts = new(StringComparer.Ordinal);
    private readonly Queue<string> _recentStartOrder = new();

    public ChargePointLedger(ChargePoint chargePoint, IEnumerable<TransactionEntry> openTransactions)
    {
        ChargePoint = chargePoint;
        StreamKey = StreamKeys.ChargePoint(chargePoint.Id);
        foreach (var entry in openTransactions)
        {
            _open[entry.State.OcppTransactionId] = entry;
        }
    }

    public ChargePoint ChargePoint { get; private set; }

    public string ChargePointId => ChargePoint.Id;

    /// <summary>The charge point's stream (its id never changes, so the key is built once).</summary>
    public string StreamKey { get; }

    public IReadOnlyCollection<TransactionEntry> OpenTransactions => _open.Values;

    public TransactionEntry? OpenTransaction(int ocppTransactionId) => _open.GetValueOrDefault(ocppTransactionId);

    /// <summary>
    /// True until this ledger has committed a start itself, and again after a reload: until then a StartTransaction
    /// may be the replay of one recorded before (by an earlier connection or another node), so the store must be asked.
    /// Afterwards starts are looked up in <see cref="RecentStart"/> only; a replay that escapes both still cannot open a
    /// second transaction, because its start key's insert fails on the unique id, and the retry after that conflict
    /// asks the store.
    /// </summary>
    public bool StartsMayBeUnknown { get; private set; } = true;

    /// <summary>A start this ledger committed (one of the last few), by its idempotency key.</summary>
    public TransactionStartKey? RecentStart(string startKey) => _recentStarts.GetValueOrDefault(startKey);

    public TransactionEntry? OpenTransactionOnConnector(int connectorId) =>
        _open.Values.Where(t => t.State.ConnectorId == connectorId).MaxBy(t => t.State.StartedAt);

    /// <summary>Advances the in-memory state by a change that has been committed.</summary>
    public void Apply(LedgerChange change, CommitReceipt receipt)
    {
        foreach (var insert in change.Inserts)
        {
            if (insert is TransactionStartKey start)
            {
                RememberStart(start);
            }
        }

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

            var current = OpenTransactionOfStream(append.StreamKey);
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

    /// <summary>The open transaction whose stream this is ("transaction:" + its id), compared without building the keys.</summary>
    private TransactionEntry? OpenTransactionOfStream(string streamKey)
    {
        var id = streamKey.AsSpan(StreamKeys.TransactionPrefix.Length);
        foreach (var entry in _open.Values)
        {
            if (id.SequenceEqual(entry.State.Id))
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>Replaces the state with a fresh load (after a concurrency conflict).</summary>
    public void Reset(ChargePointLedger fresh)
    {
        StartsMayBeUnknown = true;
        ChargePoint = fresh.ChargePoint;
        _open.Clear();
        foreach (var entry in fresh._open.Values)
        {
            _open[entry.State.OcppTransactionId] = entry;
        }
    }

    private void RememberStart(TransactionStartKey start)
    {
        StartsMayBeUnknown = false;
        if (_recentStarts.TryAdd(start.Id, start))
        {
            _recentStartOrder.Enqueue(start.Id);
            if (_recentStartOrder.Count > RememberedStarts)
            {
                _recentStarts.Remove(_recentStartOrder.Dequeue());
            }
        }
    }
}
