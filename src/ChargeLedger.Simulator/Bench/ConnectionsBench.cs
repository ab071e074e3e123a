using System.Diagnostics;
using System.Net.WebSockets;

namespace ChargeLedger.Simulator.Bench;

/// <summary>
/// The connections scenario: N charge points connect with HTTP Basic at --connect-rate (each handshake includes the
/// server's password check), then hold their sockets for --duration with an OCPP Heartbeat every --heartbeat seconds,
/// spread evenly, then close. Round 1 after a host start pays the PBKDF2 check of each password; a second round
/// (--rounds 2) reconnects the same charge points, whose checks the server has cached: a reconnect storm. The server's
/// memory per connection is (RSS while held − RSS before round 1) / connections held.
/// </summary>
public sealed class ConnectionsBench(BenchOptions options, BenchMonitor monitor, Action<string> log)
{
    private static readonly TimeSpan HeartbeatTick = TimeSpan.FromMilliseconds(20);

    public async Task<ConnectionsReport> RunAsync(CancellationToken ct)
    {
        var fileLimit = OpenFileLimit();
        if (fileLimit is { } limit && options.Connections + 256 > limit)
        {
            throw new InvalidOperationException(
                $"{options.Connections} sockets need more open files than this process may have ({limit}): raise `ulimit -n` (see ops/bench-suite.sh)");
        }

        var sources = options.SourceAddressCount(options.Connections * options.Rounds);
        using var invoker = new LoopbackInvoker(sources);
        var idleKib = monitor.ServerRssKib();
        var rounds = new List<ConnectionsRound>();
        for (var round = 1; round <= options.Rounds; round++)
        {
            rounds.Add(await RunRoundAsync(round, invoker, idleKib, ct));
            if (round < options.Rounds)
            {
                // Disconnections are recorded by the server as events; let them land before the next storm.
                await Task.Delay(TimeSpan.FromSeconds(3), ct);
            }
        }

        return new ConnectionsReport(options.Connections, options.ConnectRate, options.Heartbeat.TotalSeconds, options.Duration.TotalSeconds, sources,
            idleKib is { } idle ? Math.Round(idle / 1024.0, 1) : null, rounds);
    }

    private async Task<ConnectionsRound> RunRoundAsync(int round, LoopbackInvoker invoker, long? idleKib, CancellationToken ct)
    {
        var n = options.Connections;
        var connections = new BenchConnection?[n];
        var handshake = new LatencyHistogram();
        var errors = new ErrorCounter();
        var ids = Enumerable.Range(0, n).Select(i => options.ChargePointId(options.FirstChargePoint + i)).ToArray();
        log($"round {round}: connecting {n} charge points at {options.ConnectRate:0}/s ({options.ConnectConcurrency} handshakes in flight at most)");

        var beforeKib = monitor.ServerRssKib();
        var connectFrom = monitor.Mark();
        using (var inFlight = new SemaphoreSlim(options.ConnectConcurrency))
        {
            var tasks = new Task[n];
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < n; i++)
            {
                var due = started + (long)(i * (Stopwatch.Frequency / options.ConnectRate));
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > Stopwatch.Frequency / 1000)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), ct);
                }

                await inFlight.WaitAsync(ct);
                var index = i;
                tasks[i] = ConnectOneAsync(index);
            }

            await Task.WhenAll(tasks);

            async Task ConnectOneAsync(int index)
            {
                var begun = Stopwatch.GetTimestamp();
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    timeout.CancelAfter(TimeSpan.FromSeconds(60));
                    var id = ids[index];
                    connections[index] = await BenchConnection.ConnectAsync(new Uri(options.OcppBase, id), id, options.PasswordOf(id), options.IdTag,
                        invoker.Invoker, timeout.Token);
                    handshake.RecordSince(begun);
                }
                catch (BenchConnectException ex)
                {
                    errors.Add($"connect:{ex.Kind}");
                }
                catch (Exception ex) when (ex is WebSocketException or HttpRequestException or OperationCanceledException or IOException)
                {
                    errors.Add($"connect:{ex.GetType().Name}");
                }
                finally
                {
                    inFlight.Release();
                }
            }
        }

        var connectTo = monitor.Mark();
        var connected = connections.Count(c => c is not null);
        var connectSeconds = Stopwatch.GetElapsedTime(connectFrom.At, connectTo.At).TotalSeconds;
        log($"round {round}: {connected} connected in {connectSeconds:0.0} s; holding {options.Duration.TotalSeconds:0} s, heartbeat every {options.Heartbeat.TotalSeconds:0.#} s");

        var heartbeat = new LatencyHistogram();
        var holdFrom = monitor.Mark();
        var open = connections.OfType<BenchConnection>().ToArray();
        await HoldAsync(open, heartbeat, errors, ct);
        var holdTo = monitor.Mark();
        var held = monitor.ServerRssOver(holdFrom, holdTo);
        var dropped = open.LongCount(c => !c.IsOpen && c.LostByServer);
        var clientKib = monitor.Memory(holdTo, holdTo).ClientRssMiB;

        log($"round {round}: closing");
        await Parallel.ForEachAsync(open, new ParallelOptions { MaxDegreeOfParallelism = 256 }, async (c, _) => await c.CloseAsync(TimeSpan.FromSeconds(5)));

        var stillOpen = open.Length - dropped;
        static double? MiB(long? kib) => kib is { } k ? Math.Round(k / 1024.0, 1) : null;
        double? PerConnection(long? heldKib) => heldKib is { } h && idleKib is { } idle && stillOpen > 0 ? Math.Round((h - idle) * 1024.0 / stillOpen) : null;
        return new ConnectionsRound(round, n, connected, Math.Round(connectSeconds, 2), Math.Round(connected / connectSeconds, 1), handshake.Summary(),
            heartbeat.Count, heartbeat.Summary(), dropped, MiB(beforeKib),
            MiB(held?.MedianKib), MiB(held?.MinKib), MiB(held?.MaxKib), held?.Samples ?? 0,
            PerConnection(held?.MedianKib), PerConnection(held?.MinKib), PerConnection(held?.MaxKib), clientKib,
            monitor.Usage(connectFrom, connectTo), monitor.Usage(holdFrom, holdTo), errors.Total, errors.Snapshot());
    }

    /// <summary>
    /// One ticker instead of a timer per socket: every 20 ms it sends the heartbeats that are due, connection i at
    /// offset i/N of the interval, so the load is even; a connection whose previous heartbeat is unanswered skips one.
    /// </summary>
    private async Task HoldAsync(BenchConnection[] open, LatencyHistogram latency, ErrorCounter errors, CancellationToken ct)
    {
        if (open.Length == 0)
        {
            await Task.Delay(options.Duration, ct);
            return;
        }

        var timeoutTicks = (long)(Math.Min(options.CallTimeout.TotalSeconds, options.Heartbeat.TotalSeconds) * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        var perSecond = open.Length / options.Heartbeat.TotalSeconds;
        var sent = 0L;
        var pending = 0L;
        var lastScan = started;
        using var timer = new PeriodicTimer(HeartbeatTick);
        while (await timer.WaitForNextTickAsync(ct))
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= end)
            {
                break;
            }

            var due = (long)(Stopwatch.GetElapsedTime(started, now).TotalSeconds * perSecond);
            for (; sent < due; sent++)
            {
                var connection = open[sent % open.Length];
                if (!connection.IsOpen)
                {
                    continue;
                }

                if (connection.HasPendingCall)
                {
                    errors.Add("heartbeat:skipped");
                    continue;
                }

                Interlocked.Increment(ref pending);
                _ = SendAsync(connection);
            }

            // Once a second, not every tick: a scan of every socket for an overdue heartbeat.
            if (now - lastScan >= Stopwatch.Frequency)
            {
                lastScan = now;
                foreach (var connection in open)
                {
                    connection.ExpireIfOverdue(now, timeoutTicks);
                }
            }
        }

        using var drain = new CancellationTokenSource(options.CallTimeout);
        while (Interlocked.Read(ref pending) > 0 && !drain.IsCancellationRequested)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var connection in open)
            {
                connection.ExpireIfOverdue(now, timeoutTicks);
            }

            await Task.Delay(50, CancellationToken.None);
        }

        async Task SendAsync(BenchConnection connection)
        {
            var begun = Stopwatch.GetTimestamp();
            var reply = await connection.CallAsync(OcppAction.Heartbeat, default);
            if (reply.Kind == ReplyKind.Result)
            {
                latency.RecordSince(begun);
            }
            else
            {
                errors.Add(reply.Kind switch
                {
                    ReplyKind.Error => $"callError:Heartbeat:{reply.ErrorCode}",
                    ReplyKind.Timeout => "timeout:Heartbeat",
                    _ => "closed:Heartbeat",
                });
            }

            Interlocked.Decrement(ref pending);
        }
    }

    /// <summary>The soft RLIMIT_NOFILE of this process, from /proc/self/limits.</summary>
    private static long? OpenFileLimit()
    {
        try
        {
            var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            var soft = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            return long.TryParse(soft, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
