namespace ChargeLedger.Ledger;

/// <summary>
/// Events to append to one stream. <paramref name="ExpectedVersion"/> is the stream's version before the append;
/// 0 starts a new stream (and fails if it exists); <see cref="AnyVersion"/> appends to the stream whatever its version,
/// starting it when new (telemetry: samples of one device are facts in any order, no decision rests on the version).
/// Chained streams (transactions) are sealed into a hash chain continuing from <paramref name="PreviousHash"/> ("" for a new stream).
/// </summary>
public sealed record StreamAppend(string StreamKey, long ExpectedVersion, IReadOnlyList<object> Events, string? PreviousHash = null)
{
    public const long AnyVersion = -1;

    public bool Chained => PreviousHash is not null;
}

/// <summary>Everything one decision writes, committed atomically (possibly in a shared group commit).</summary>
public sealed record LedgerChange(
    IReadOnlyList<StreamAppend> Appends,
    IReadOnlyList<object> Inserts,
    IReadOnlyList<string> ClosedTransactions)
{
    public static readonly LedgerChange None = new([], [], []);

    public bool IsEmpty => Appends.Count == 0 && Inserts.Count == 0 && ClosedTransactions.Count == 0;

    public static LedgerChange Append(string streamKey, long expectedVersion, params object[] events) =>
        new([new StreamAppend(streamKey, expectedVersion, events)], [], []);
}

/// <summary>What a handler decided: the answer for the caller and the change that must be committed before it is given.</summary>
public sealed record Decision<TResult>(TResult Result, LedgerChange Change);

public static class Decision
{
    public static Decision<TResult> Of<TResult>(TResult result, LedgerChange change) => new(result, change);

    public static Decision<TResult> Nothing<TResult>(TResult result) => new(result, LedgerChange.None);
}

/// <summary>The last hash of each chained stream after a commit.</summary>
public sealed record CommitReceipt(IReadOnlyDictionary<string, string> LastHashes)
{
    public static readonly CommitReceipt Empty = new(new Dictionary<string, string>());
}
