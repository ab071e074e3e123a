using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Marten;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ChargeLedger.Ledger;

public sealed class LedgerWriterOptions
{
    /// <summary>Commit loops running side by side; each takes everything queued while the previous commit ran.</summary>
    public int CommitLoops { get; set; } = 2;

    /// <summary>Most decisions sharing one database transaction.</summary>
    public int MaxBatch { get; set; } = 256;

    /// <summary>
    /// How long a commit loop waits for more decisions when the batch is not full (PostgreSQL's commit_delay, done where
    /// the batch is built). 0 = commit at once (the default). Each commit has a fixed cost, so at moderate load many small
    /// commits cost more CPU per decision than a few larger ones (README "Performance").
    /// </summary>
    public double CommitLingerMilliseconds { get; set; }

    /// <summary>
    /// How old an idTag read (by an Authorize, on any connection of this node) may be for a StartTransaction to use it
    /// instead of reading again. Charge points authorize and then start within seconds, so the start costs no read;
    /// the price is that a block issued in that window is seen by the next start, not this one. 0 reads every time.
    /// </summary>
    public int IdTagReuseSeconds { get; set; } = 5;
}

/// <summary>
/// Group commit: decisions from many charge points share one Marten session and one PostgreSQL commit. A single-event
/// commit tops out near the disk's fsync rate (~1,000/s on 2 cores); batching whatever queued up during the previous
/// commit keeps latency at about two commit times while throughput grows with the number of charge points.
/// Each charge point has at most one decision in flight (its connection waits for the commit before replying),
/// so its order is kept. A failed batch is committed again in halves, and a failing half in halves again, so one
/// conflicting decision (a concurrency check, a duplicate start) fails alone while the rest commit.
/// </summary>
public sealed class LedgerWriter : IAsyncDisposable
{
    private static readonly Meter Meter = new("ChargeLedger.Ledger");
    private static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("chargeledger.ledger.batch_size", description: "Decisions per group commit");
    private static readonly Counter<long> BatchRetries = Meter.CreateCounter<long>("chargeledger.ledger.batch_retries",
        description: "Group commits that failed and were committed again in halves");
    private static readonly Histogram<double> CommitMs = Meter.CreateHistogram<double>("chargeledger.ledger.commit_ms", "ms", "Group commit duration");

    private readonly IDocumentStore _store;
    private readonly LedgerConnections _connections;
    private readonly ILogger<LedgerWriter> _logger;
    private readonly Channel<Pending> _queue;
    private readonly Task[] _loops;
    private readonly int _maxBatch;
    private readonly TimeSpan _linger;
    private readonly EventTypeNames _eventTypes;
    private readonly ISerializer _serializer;
    private readonly string _schema;

    public LedgerWriter(IDocumentStore store, LedgerConnections connections, IOptions<LedgerWriterOptions> options, ILogger<LedgerWriter> logger)
    {
        _store = store;
        _connections = connections;
        _logger = logger;
        _eventTypes = new EventTypeNames(store);
        _serializer = store.Options.Serializer();
        _schema = store.Options.Events.DatabaseSchemaName;
        _maxBatch = Math.Max(1, options.Value.MaxBatch);
        _linger = TimeSpan.FromMilliseconds(Math.Max(0, options.Value.CommitLingerMilliseconds));
        _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
        _loops = Enumerable.Range(0, Math.Max(1, options.Value.CommitLoops)).Select(_ => Task.Run(RunAsync)).ToArray();
    }

    /// <summary>Decisions waiting for a commit loop to take them.</summary>
    internal int Queued => _queue.Reader.Count;

    /// <summary>Database transactions attempted, failed ones included (tests of what a failed batch costs).</summary>
    internal long Attempts => Interlocked.Read(ref _attempts);

    private long _attempts;

    public Task<CommitReceipt> CommitAsync(LedgerChange change, CancellationToken cancellationToken = default)
    {
        if (change.IsEmpty)
        {
            return Task.FromResult(CommitReceipt.Empty);
        }

        var pending = new Pending(change, new TaskCompletionSource<CommitReceipt>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(LedgerWriter), "The ledger writer is shut down.");
        }

        // The caller may stop waiting, but the commit itself is not cancelled half-way through a batch.
        return pending.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Commits these decisions as one batch, bypassing the loops (tests of what a batch does).</summary>
    internal Task<CommitReceipt>[] CommitAsOneBatch(IReadOnlyList<LedgerChange> changes)
    {
        var batch = changes.Select(c => new Pending(c, new TaskCompletionSource<CommitReceipt>(TaskCreationOptions.RunContinuationsAsynchronously))).ToList();
        _ = CommitBatchAsync(batch);
        return [.. batch.Select(p => p.Completion.Task.WaitAsync(CancellationToken.None))];
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(_maxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            Take(batch);
            if (_linger > TimeSpan.Zero && batch.Count is > 0 && batch.Count < _maxBatch)
            {
                await Task.Delay(_linger);
                Take(batch);
            }

            if (batch.Count > 0)
            {
                await CommitBatchAsync(batch);
            }
        }
    }

    private void Take(List<Pending> batch)
    {
        while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var item))
        {
            batch.Add(item);
        }
    }

    private async Task CommitBatchAsync(List<Pending> batch)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            Answer(batch, await CommitAsync(batch));
            BatchSize.Record(batch.Count);
            CommitMs.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                new KeyValuePair<string, object?>("new_streams", batch.Any(p => p.Change.Appends.Any(a => a.ExpectedVersion == 0))));
        }
        catch (Exception ex) when (batch.Count > 1)
        {
            BatchRetries.Add(1);
            _logger.LogDebug(ex, "Group commit of {Count} decisions failed; committing them again in halves", batch.Count);
            await CommitHalvesAsync(batch);
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "Commit of a single decision failed");
            batch[0].Completion.TrySetException(ex);
        }
    }

    /// <summary>
    /// After a batch failed: each half is committed on its own, and a half that fails is halved again, down to single
    /// decisions, which fail alone. One bad decision among n costs about 2·log2(n) more commits (16 for a full batch of
    /// 256) instead of n one at a time, so the decisions that shared its batch wait a few commits, not hundreds. Halves
    /// keep the batch's order. (When everything fails, e.g. the database is gone, it is 2n − 2 attempts instead of n,
    /// each failing fast.)
    /// </summary>
    private async Task CommitHalvesAsync(List<Pending> batch)
    {
        var middle = batch.Count / 2;
        await CommitOrHalveAsync(batch.GetRange(0, middle));
        await CommitOrHalveAsync(batch.GetRange(middle, batch.Count - middle));
    }

    private async Task CommitOrHalveAsync(List<Pending> part)
    {
        try
        {
            Answer(part, await CommitAsync(part));
        }
        catch (Exception) when (part.Count > 1)
        {
            await CommitHalvesAsync(part);
        }
        catch (Exception ex)
        {
            part[0].Completion.TrySetException(ex);
        }
    }

    private static void Answer(List<Pending> batch, CommitReceipt[] receipts)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(receipts[i]);
        }
    }

    private async Task<CommitReceipt[]> CommitAsync(IReadOnlyList<Pending> batch)
    {
        Interlocked.Increment(ref _attempts);
        await using var session = await _connections.LightweightSessionAsync(_store, CancellationToken.None);
        var append = new GroupAppendBatch();
        var receipts = new CommitReceipt[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var change = batch[i].Change;
            receipts[i] = append.Add(change, _eventTypes, _serializer);
            foreach (var document in change.Inserts)
            {
                session.Insert(document);
            }

            foreach (var transactionId in change.ClosedTransactions)
            {
                session.Delete<OpenTransactionIndex>(transactionId);
            }
        }

        if (append.Events > 0)
        {
            session.QueueOperation(append.ToOperation(_schema));
        }

        try
        {
            await session.SaveChangesAsync();
        }
        catch (Exception ex) when (ExceptionChain.Find<PostgresException>(ex, GroupAppend.IsConflict) is { } conflict)
        {
            throw new StreamConflictException(conflict.MessageText, ex);
        }

        return receipts;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops);
    }

    private sealed record Pending(LedgerChange Change, TaskCompletionSource<CommitReceipt> Completion);
}
