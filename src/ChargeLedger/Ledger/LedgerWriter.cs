using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using Marten;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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
/// so its order is kept. A failed batch is retried one decision at a time, so one conflicting decision
/// (a concurrency check, a duplicate start) fails alone.
/// </summary>
public sealed class LedgerWriter : IAsyncDisposable
{
    private static readonly Meter Meter = new("ChargeLedger.Ledger");
    private static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("chargeledger.ledger.batch_size", description: "Decisions per group commit");
    private static readonly Counter<long> BatchRetries = Meter.CreateCounter<long>("chargeledger.ledger.batch_retries",
        description: "Group commits that failed and were retried one decision at a time");
    private static readonly Histogram<double> CommitMs = Meter.CreateHistogram<double>("chargeledger.ledger.commit_ms", "ms", "Group commit duration");

    private readonly IDocumentStore _store;
    private readonly ILogger<LedgerWriter> _logger;
    private readonly Channel<Pending> _queue;
    private readonly Task[] _loops;
    private readonly int _maxBatch;
    private readonly TimeSpan _linger;

    public LedgerWriter(IDocumentStore store, IOptions<LedgerWriterOptions> options, ILogger<LedgerWriter> logger)
    {
        _store = store;
        _logger = logger;
        _maxBatch = Math.Max(1, options.Value.MaxBatch);
        _linger = TimeSpan.FromMilliseconds(Math.Max(0, options.Value.CommitLingerMilliseconds));
        _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
        _loops = Enumerable.Range(0, Math.Max(1, options.Value.CommitLoops)).Select(_ => Task.Run(RunAsync)).ToArray();
    }

    /// <summary>Decisions waiting for a commit loop to take them.</summary>
    internal int Queued => _queue.Reader.Count;

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
            var receipts = await CommitAsync(batch);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(receipts[i]);
            }

            BatchSize.Record(batch.Count);
            CommitMs.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                new KeyValuePair<string, object?>("new_streams", batch.Any(p => p.Change.Appends.Any(a => a.ExpectedVersion == 0))));
        }
        catch (Exception ex) when (batch.Count > 1)
        {
            BatchRetries.Add(1);
            _logger.LogDebug(ex, "Group commit of {Count} decisions failed; committing them one by one", batch.Count);
            foreach (var pending in batch)
            {
                try
                {
                    var receipts = await CommitAsync([pending]);
                    pending.Completion.TrySetResult(receipts[0]);
                }
                catch (Exception single)
                {
                    pending.Completion.TrySetException(single);
                }
            }
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "Commit of a single decision failed");
            batch[0].Completion.TrySetException(ex);
        }
    }

    private async Task<CommitReceipt[]> CommitAsync(IReadOnlyList<Pending> batch)
    {
        await using var session = _store.LightweightSession();
        var serializer = _store.Options.Serializer();
        var receipts = new CommitReceipt[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            receipts[i] = Stage(session, serializer, batch[i].Change);
        }

        await session.SaveChangesAsync();
        return receipts;
    }

    private static CommitReceipt Stage(IDocumentSession session, ISerializer serializer, LedgerChange change)
    {
        Dictionary<string, string>? lastHashes = null;
        foreach (var append in change.Appends)
        {
            var events = new object[append.Events.Count];
            var previous = append.PreviousHash;
            for (var i = 0; i < events.Length; i++)
            {
                var wrapped = session.Events.BuildEvent(append.Events[i]);
                if (previous is not null)
                {
                    using var json = JsonDocument.Parse(serializer.ToJson(append.Events[i]));
                    var hash = HashChain.Compute(previous, append.StreamKey, append.ExpectedVersion + i + 1, wrapped.EventTypeName, json.RootElement);
                    wrapped.SetHeader(HashChain.PreviousHashHeader, previous);
                    wrapped.SetHeader(HashChain.HashHeader, hash);
                    previous = hash;
                }

                events[i] = wrapped;
            }

            if (append.ExpectedVersion == StreamAppend.AnyVersion)
            {
                session.Events.Append(append.StreamKey, events);
            }
            else if (append.ExpectedVersion == 0)
            {
                session.Events.StartStream(append.StreamKey, events);
            }
            else
            {
                session.Events.Append(append.StreamKey, append.ExpectedVersion + events.Length, events);
            }

            if (append.Chained)
            {
                (lastHashes ??= [])[append.StreamKey] = previous!;
            }
        }

        foreach (var document in change.Inserts)
        {
            session.Insert(document);
        }

        foreach (var transactionId in change.ClosedTransactions)
        {
            session.Delete<OpenTransactionIndex>(transactionId);
        }

        return lastHashes is null ? CommitReceipt.Empty : new CommitReceipt(lastHashes);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops);
    }

    private sealed record Pending(LedgerChange Change, TaskCompletionSource<CommitReceipt> Completion);
}
