using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using Npgsql;

namespace ChargeLedger.Simulator.Bench;

/// <summary>
/// Calls of all charge points handed out on one schedule, <c>rate</c> per second from the start: a charge point takes
/// the next slot and waits for it. A slot already past is sent at once, and the gap is recorded as schedule lag: the
/// offered load stays the same when the server falls behind (open loop), and the lag shows that it did.
/// </summary>
public sealed class CallSchedule(double rate)
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private long _next = -1;

    public long NextSlot() => _start + (long)(Interlocked.Increment(ref _next) * (Stopwatch.Frequency / rate));
}

/// <summary>Errors counted by kind ("timeout:MeterValues", "callError:StartTransaction:InternalError", "connect:http401").</summary>
public sealed class ErrorCounter
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public long Total => _counts.Values.Sum();

    public void Add(string kind) => _counts.AddOrUpdate(kind, 1, static (_, n) => n + 1);

    public Dictionary<string, long> Snapshot() => _counts.OrderBy(e => e.Key, StringComparer.Ordinal).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
}

/// <summary>
/// The ocpp scenario: N charge points each run Boot and StatusNotification once, then sessions of Authorize,
/// StartTransaction, K × MeterValues, StopTransaction, StatusNotification (the mix of tests/load/ocpp-load, so the figures
/// compare), open loop at --rate calls/s over all of them or closed loop. Only calls sent inside the measured window (after
/// --warmup, for --duration) are in the latencies; calls/s counts replies received inside it; the mt_events sequence is
/// read at both ends of the window so the events the run appended can be counted (and copied by the COPY baseline).
/// </summary>
public sealed class OcppBench(BenchOptions options, BenchMonitor monitor, Action<string> log)
{
    private static readonly TimeSpan FailureBackoff = TimeSpan.FromSeconds(1);
    private readonly LatencyHistogram[] _latency = [.. OcppFrames.ActionNames.Select(_ => new LatencyHistogram())];
    private readonly LatencyHistogram _scheduleLag = new();
    private readonly LatencyHistogram _connect = new();
    private readonly ErrorCounter _errors = new();
    private CallSchedule? _schedule;
    private long _windowStart = long.MaxValue;
    private long _windowEnd = long.MaxValue;
    private long _repliesInWindow;
    private long _sessions;
    private volatile bool _stopping;

    public async Task<OcppReport> RunAsync(CancellationToken ct)
    {
        using var invoker = new LoopbackInvoker(options.SourceAddressCount(options.ChargePoints));
        var connections = new BenchConnection?[options.ChargePoints];
        log($"connecting {options.ChargePoints} charge points to {options.OcppBase} ({options.ConnectConcurrency} handshakes at a time)");
        var connectStarted = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, options.ChargePoints),
            new ParallelOptions { MaxDegreeOfParallelism = options.ConnectConcurrency, CancellationToken = ct },
            async (i, token) => connections[i] = await ConnectAsync(invoker, options.ChargePointId(options.FirstChargePoint + i), token));
        var connected = connections.Count(c => c is not null);
        log($"{connected} connected in {Stopwatch.GetElapsedTime(connectStarted).TotalSeconds:0.0} s; load for {options.Warmup.TotalSeconds:0.#} s warm-up + {options.Duration.TotalSeconds:0.#} s");

        using var watchdog = new CancellationTokenSource();
        var expiring = ExpireOverdueCallsAsync(connections, watchdog.Token);
        await using var pg = options.Postgres is null ? null : new NpgsqlConnection(options.Postgres);
        if (pg is not null)
        {
            await pg.OpenAsync(ct);
        }

        _schedule = options.Rate > 0 ? new CallSchedule(options.Rate) : null;
        if (options.Warmup == TimeSpan.Zero)
        {
            _windowStart = Stopwatch.GetTimestamp();
        }

        var chargePoints = connections.Select((c, i) => c is null ? Task.CompletedTask : RunChargePointAsync(c, i)).ToArray();

        await Task.Delay(options.Warmup, ct);
        var from = monitor.Mark();
        var fromSequence = await SequenceAsync(pg, ct);
        var fromCounters = await LedgerCounters.ReadAsync(options.Url, ct);
        Volatile.Write(ref _windowStart, from.At);
        await Task.Delay(options.Duration, ct);
        var to = monitor.Mark();
        Volatile.Write(ref _windowEnd, to.At);
        var toSequence = await SequenceAsync(pg, ct);
        var commits = LedgerCounters.Between(fromCounters, await LedgerCounters.ReadAsync(options.Url, ct));
        var backlog = await BacklogAsync(pg, ct);
        _stopping = true;

        var window = Stopwatch.GetElapsedTime(from.At, to.At).TotalSeconds;
        StoreWindow? store = null;
        if (fromSequence is { } f && toSequence is { } t)
        {
            var events = await CountEventsAsync(pg!, f, t, ct);
            store = new StoreWindow(f, t, events, Math.Round(events / window, 1));
        }

        using (var drain = new CancellationTokenSource(options.CallTimeout + TimeSpan.FromSeconds(5)))
        {
            await Task.WhenAll(chargePoints).WaitAsync(drain.Token).ContinueWith(static _ => { }, TaskScheduler.Default);
        }

        await watchdog.CancelAsync();
        await expiring;
        await Parallel.ForEachAsync(connections.OfType<BenchConnection>(), new ParallelOptions { MaxDegreeOfParallelism = 64 },
            async (c, _) => await c.CloseAsync(TimeSpan.FromSeconds(5)));

        var all = new LatencyHistogram();
        var latency = new Dictionary<string, LatencySummary>(StringComparer.Ordinal);
        for (var a = 0; a < _latency.Length; a++)
        {
            if (_latency[a].Count > 0)
            {
                latency[OcppFrames.ActionNames[a]] = _latency[a].Summary();
                all.Add(_latency[a]);
            }
        }

        latency["allCalls"] = all.Summary();
        return new OcppReport(options.ChargePoints, connected, options.Rate, options.Warmup.TotalSeconds, Math.Round(window, 3), options.MeterValues,
            Interlocked.Read(ref _repliesInWindow), Math.Round(Interlocked.Read(ref _repliesInWindow) / window, 1), Interlocked.Read(ref _sessions),
            _errors.Total, _errors.Snapshot(), latency, _schedule is null ? null : _scheduleLag.Summary(), _connect.Summary(),
            connections.Sum(c => c?.ServerCalls ?? 0), store, monitor.Usage(from, to), monitor.Memory(from, to), monitor.Lag(from, to), backlog, commits);
    }

    private async Task<BenchConnection?> ConnectAsync(LoopbackInvoker invoker, string id, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            var connection = await BenchConnection.ConnectAsync(new Uri(options.OcppBase, id), id, options.PasswordOf(id), options.IdTag, invoker.Invoker, timeout.Token);
            _connect.RecordSince(started);
            return connection;
        }
        catch (BenchConnectException ex)
        {
            _errors.Add($"connect:{ex.Kind}");
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            _errors.Add($"connect:{ex.GetType().Name}");
        }

        return null;
    }

    private async Task RunChargePointAsync(BenchConnection connection, int index)
    {
        // An energy register that only rises, and a power per charge point (7.0 .. 10.5 kW), as ocpp-load does.
        var meterWh = 1000L * index;
        var powerW = 7000 + (index % 8 * 500);
        await Task.Yield();
        if (await CallAsync(connection, OcppAction.BootNotification, new CallArguments(1, 0, 0, 0)) is not { Kind: ReplyKind.Result }
            || await CallAsync(connection, OcppAction.StatusNotification, new CallArguments(1, 0, 0, 0)) is not { Kind: ReplyKind.Result })
        {
            return;
        }

        while (!_stopping && connection.IsOpen)
        {
            var authorized = await CallAsync(connection, OcppAction.Authorize, default);
            if (authorized is not { Kind: ReplyKind.Result, Accepted: true })
            {
                await BackOffAsync(authorized, "Authorize");
                continue;
            }

            var start = await CallAsync(connection, OcppAction.StartTransaction, new CallArguments(1, 0, meterWh, powerW));
            if (start is not { Kind: ReplyKind.Result, Accepted: true })
            {
                await BackOffAsync(start, "StartTransaction");
                continue;
            }

            for (var k = 0; k < options.MeterValues && !_stopping; k++)
            {
                meterWh += powerW / 60; // one simulated minute per sample
                await CallAsync(connection, OcppAction.MeterValues, new CallArguments(1, start.TransactionId, meterWh, powerW));
            }

            if (_stopping)
            {
                break;
            }

            var stop = await CallAsync(connection, OcppAction.StopTransaction, new CallArguments(1, start.TransactionId, meterWh, powerW));
            await CallAsync(connection, OcppAction.StatusNotification, new CallArguments(1, 0, 0, 0));
            if (stop.Kind == ReplyKind.Result && InWindow(Stopwatch.GetTimestamp()))
            {
                Interlocked.Increment(ref _sessions);
            }
        }
    }

    private async Task BackOffAsync(CallReply reply, string action)
    {
        if (reply.Kind == ReplyKind.Result)
        {
            _errors.Add($"rejected:{action}");
        }

        if (!_stopping)
        {
            await Task.Delay(FailureBackoff);
        }
    }

    private async ValueTask<CallReply> CallAsync(BenchConnection connection, OcppAction action, CallArguments args)
    {
        if (_stopping)
        {
            return new CallReply(ReplyKind.Closed, 0, false, null);
        }

        var slot = 0L;
        if (_schedule is not null)
        {
            slot = _schedule.NextSlot();
            var wait = slot - Stopwatch.GetTimestamp();
            if (wait > Stopwatch.Frequency / 1000)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
            }

            if (_stopping)
            {
                return new CallReply(ReplyKind.Closed, 0, false, null);
            }
        }

        var sent = Stopwatch.GetTimestamp();
        var reply = await connection.CallAsync(action, args);
        var received = Stopwatch.GetTimestamp();
        var measured = sent >= Volatile.Read(ref _windowStart) && sent < Volatile.Read(ref _windowEnd);
        if (reply.Kind == ReplyKind.Result && InWindow(received))
        {
            Interlocked.Increment(ref _repliesInWindow);
        }

        if (measured)
        {
            if (reply.Kind == ReplyKind.Result)
            {
                _latency[(int)action].Record((received - sent) * 1_000_000 / Stopwatch.Frequency);
            }

            if (_schedule is not null)
            {
                _scheduleLag.Record(Math.Max(0, sent - slot) * 1_000_000 / Stopwatch.Frequency);
            }
        }

        // The drain after the window fails nothing: calls cut off by the stop are not the server's errors.
        if (reply.Kind != ReplyKind.Result && !(_stopping && reply.Kind == ReplyKind.Closed))
        {
            _errors.Add(reply.Kind switch
            {
                ReplyKind.Error => $"callError:{OcppFrames.ActionNames[(int)action]}:{reply.ErrorCode}",
                ReplyKind.Timeout => $"timeout:{OcppFrames.ActionNames[(int)action]}",
                _ => $"closed:{OcppFrames.ActionNames[(int)action]}",
            });
        }

        return reply;
    }

    private bool InWindow(long timestamp) => timestamp >= Volatile.Read(ref _windowStart) && timestamp < Volatile.Read(ref _windowEnd);

    private async Task ExpireOverdueCallsAsync(BenchConnection?[] connections, CancellationToken ct)
    {
        var timeoutTicks = (long)(options.CallTimeout.TotalSeconds * Stopwatch.Frequency);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var now = Stopwatch.GetTimestamp();
                foreach (var connection in connections)
                {
                    connection?.ExpireIfOverdue(now, timeoutTicks);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<long?> SequenceAsync(NpgsqlConnection? connection, CancellationToken ct)
    {
        if (connection is null)
        {
            return null;
        }

        await using var command = new NpgsqlCommand($"select coalesce(max(seq_id), 0) from {options.Schema}.mt_events", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Every progression row but Marten's high-water bookkeeping: how far behind the last event it stands. The lag
    /// sampling above only sees projections; this also shows the subscriptions (pricing above all) under the load.
    /// </summary>
    private async Task<List<ProgressionBacklog>?> BacklogAsync(NpgsqlConnection? connection, CancellationToken ct)
    {
        if (connection is null)
        {
            return null;
        }

        await using var command = new NpgsqlCommand(
            $"""
            select p.name, greatest(0, t.top - p.last_seq_id),
                   extract(epoch from now() - (select e.timestamp from {options.Schema}.mt_events e where e.seq_id > p.last_seq_id order by e.seq_id limit 1))::float8
            from {options.Schema}.mt_event_progression p, (select coalesce(max(seq_id), 0) as top from {options.Schema}.mt_events) t
            where p.name not like 'HighWater%' order by p.name
            """, connection);
        var rows = new List<ProgressionBacklog>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new ProgressionBacklog(reader.GetString(0), reader.GetInt64(1), await reader.IsDBNullAsync(2, ct) ? null : Math.Round(reader.GetDouble(2), 1)));
        }

        return rows;
    }

    private async Task<long> CountEventsAsync(NpgsqlConnection connection, long from, long to, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"select count(*) from {options.Schema}.mt_events where seq_id > $1 and seq_id <= $2", connection)
        {
            Parameters = { new() { Value = from }, new() { Value = to } },
        };
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }
}
