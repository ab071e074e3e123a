using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace ChargeLedger.Simulator.Bench;

/// <summary>CPU clock ticks (USER_HZ, 100 per second on Linux) of the processes watched, and of the whole machine.</summary>
public sealed record CpuSnapshot(long At, long ServerTicks, long PostgresTicks, long ClientTicks, long MachineBusy, long MachineTotal);

/// <summary>One row of GET /api/admin/projections (ProjectionStatusResponse), the part the bench reads.</summary>
public sealed record ProjectionLagRow(string Name, string State, long LagEvents, double LagSeconds);

/// <summary>
/// Watches the server while a scenario runs: CPU from /proc/{pid}/stat (the host, PostgreSQL's postmaster and its
/// backends, this client) and the machine from /proc/stat, the host's VmRSS every 0.5 s, and the projections' lag
/// from GET /api/admin/projections 4 times a second. Only samples inside a measured window are reported.
/// </summary>
public sealed class BenchMonitor : IAsyncDisposable
{
    private const double TicksPerSecond = 100; // USER_HZ; sysconf(_SC_CLK_TCK) is 100 on every Linux architecture .NET runs on
    private static readonly TimeSpan RssInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LagInterval = TimeSpan.FromMilliseconds(250);

    private readonly BenchOptions _options;
    private readonly List<(long At, long Kib)> _rss = [];
    private readonly List<(long At, ProjectionLagRow[] Rows)> _lag = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient? _api;
    private readonly List<Task> _loops = [];
    private string? _lagError;

    public BenchMonitor(BenchOptions options)
    {
        _options = options;
        if (options.Lag)
        {
            _api = new HttpClient { BaseAddress = options.Url, Timeout = TimeSpan.FromSeconds(2) };
            _api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        }
    }

    public void Start()
    {
        if (_options.ServerPid is not null)
        {
            _loops.Add(Task.Run(() => SampleRssAsync(_stop.Token)));
        }

        if (_api is not null)
        {
            _loops.Add(Task.Run(() => SampleLagAsync(_stop.Token)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops).ContinueWith(static _ => { }, TaskScheduler.Default);
        _api?.Dispose();
        _stop.Dispose();
    }

    public CpuSnapshot Mark()
    {
        var (busy, total) = MachineTicks();
        return new CpuSnapshot(Stopwatch.GetTimestamp(), _options.ServerPid is { } server ? ProcessTicks(server, includeChildren: false) : 0,
            _options.PostgresPid is { } postmaster ? TreeTicks(postmaster) : 0, ProcessTicks(Environment.ProcessId, includeChildren: false), busy, total);
    }

    public CpuUsage Usage(CpuSnapshot from, CpuSnapshot to)
    {
        var seconds = Stopwatch.GetElapsedTime(from.At, to.At).TotalSeconds;
        double Percent(long ticks) => Math.Round(100 * ticks / TicksPerSecond / seconds, 1);
        return new CpuUsage(
            _options.ServerPid is null ? null : Percent(to.ServerTicks - from.ServerTicks),
            _options.PostgresPid is null ? null : Percent(to.PostgresTicks - from.PostgresTicks),
            Percent(to.ClientTicks - from.ClientTicks),
            to.MachineTotal == from.MachineTotal ? 0 : Math.Round(100.0 * (to.MachineBusy - from.MachineBusy) / (to.MachineTotal - from.MachineTotal), 1),
            Environment.ProcessorCount);
    }

    public MemoryUsage Memory(CpuSnapshot from, CpuSnapshot to)
    {
        var inWindow = RssSamples(from, to);
        var now = ServerRssKib();
        static double MiB(long kib) => Math.Round(kib / 1024.0, 1);
        return new MemoryUsage(
            inWindow.Count > 0 ? MiB(inWindow[0]) : now is { } a ? MiB(a) : null,
            now is { } end ? MiB(end) : null,
            inWindow.Count > 0 ? MiB(Math.Max(inWindow.Max(), now ?? 0)) : now is { } b ? MiB(b) : null,
            MiB(RssKib(Environment.ProcessId) ?? 0));
    }

    public long? ServerRssKib() => _options.ServerPid is { } pid ? RssKib(pid) : null;

    /// <summary>
    /// The server's RSS over a window (sampled every 500 ms): lowest, median, highest. One reading moves by several KiB per
    /// connection with where the GC stands when it is taken (a gen1 collection that has just run, or not), the median of
    /// the window does not.
    /// </summary>
    public RssRange? ServerRssOver(CpuSnapshot from, CpuSnapshot to)
    {
        var inWindow = RssSamples(from, to);
        if (inWindow.Count == 0)
        {
            return ServerRssKib() is { } now ? new RssRange(now, now, now, 1) : null;
        }

        inWindow.Sort();
        return new RssRange(inWindow[0], inWindow[inWindow.Count / 2], inWindow[^1], inWindow.Count);
    }

    /// <summary>The server's RSS samples (KiB) taken inside the window, in the order taken.</summary>
    private List<long> RssSamples(CpuSnapshot from, CpuSnapshot to)
    {
        lock (_rss)
        {
            return [.. _rss.Where(s => s.At >= from.At && s.At <= to.At).Select(s => s.Kib)];
        }
    }

    public LagReport? Lag(CpuSnapshot from, CpuSnapshot to)
    {
        if (_api is null)
        {
            return null;
        }

        List<ProjectionLagRow[]> samples;
        lock (_lag)
        {
            samples = [.. _lag.Where(s => s.At >= from.At && s.At <= to.At).Select(s => s.Rows)];
        }

        var overall = samples.Select(rows => rows.Length == 0 ? 0 : rows.Max(r => r.LagSeconds)).ToList();
        var byProjection = samples.SelectMany(rows => rows).GroupBy(r => r.Name, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => LagSummaryOf([.. g.Select(r => r.LagSeconds)]), StringComparer.Ordinal);
        return new LagReport(samples.Count, LagSummaryOf(overall), byProjection, _lagError);
    }

    public static LagSummary LagSummaryOf(List<double> values)
    {
        values.Sort();
        return new LagSummary(NearestRank(values, 50), NearestRank(values, 99), values.Count == 0 ? 0 : values[^1]);
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double NearestRank(IReadOnlyList<double> sorted, double percentile) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling((percentile / 100 * sorted.Count) - 1e-9) - 1, 0, sorted.Count - 1)];

    private async Task SampleRssAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(RssInterval);
        do
        {
            if (ServerRssKib() is { } kib)
            {
                lock (_rss)
                {
                    _rss.Add((Stopwatch.GetTimestamp(), kib));
                }
            }
        }
        while (await WaitAsync(timer, ct));
    }

    private async Task SampleLagAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(LagInterval);
        do
        {
            var at = Stopwatch.GetTimestamp();
            try
            {
                var rows = await _api!.GetFromJsonAsync(new Uri("api/admin/projections", UriKind.Relative),
                    BenchJsonContext.Default.ProjectionLagRowArray, ct);
                lock (_lag)
                {
                    _lag.Add((at, rows ?? []));
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !ct.IsCancellationRequested)
            {
                _lagError ??= ex.Message;
            }
        }
        while (await WaitAsync(timer, ct));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>utime + stime (fields 14, 15 of /proc/pid/stat), plus cutime + cstime (16, 17) of reaped children.</summary>
    private static long ProcessTicks(int pid, bool includeChildren)
    {
        var fields = StatFields(pid);
        if (fields is null)
        {
            return 0;
        }

        var ticks = Field(fields, 14) + Field(fields, 15);
        return includeChildren ? ticks + Field(fields, 16) + Field(fields, 17) : ticks;
    }

    /// <summary>The postmaster with the reaped backends' time, plus every live backend (its children by parent pid).</summary>
    private static long TreeTicks(int root)
    {
        var ticks = ProcessTicks(root, includeChildren: true);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != root
                && StatFields(pid) is { } fields && Field(fields, 4) == root)
            {
                ticks += Field(fields, 14) + Field(fields, 15);
            }
        }

        return ticks;
    }

    // Fields after the command name, which is in parentheses and may itself hold spaces: element 0 is field 3 (state).
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long Field(string[] fieldsFrom3, int field) =>
        long.TryParse(fieldsFrom3[field - 3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;

    private static (long Busy, long Total) MachineTicks()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var parts = reader.ReadLine()!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // cpu user nice system idle iowait irq softirq steal: idle and iowait are not busy.
            var values = parts.Skip(1).Take(8).Select(p => long.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            return (values.Sum() - values[3] - values[4], values.Sum());
        }
        catch (IOException)
        {
            return (0, 0);
        }
    }

    private static long? RssKib(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }
}
