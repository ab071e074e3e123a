using System.Globalization;

namespace ChargeLedger.Simulator.Bench;

/// <summary>
/// The host's group-commit counters as GET /metrics serves them (Prometheus text format), summed over their labels:
/// committed batches and the decisions in them (the <c>chargeledger.ledger.batch_size</c> histogram, which records
/// successful batches only), and batches that failed and were committed again in halves
/// (<c>chargeledger.ledger.batch_retries</c>). Read at the edges of the measured window.
/// </summary>
public sealed record LedgerCounters(double Commits, double Decisions, double FailedCommits)
{
    private const string BatchSize = "chargeledger_ledger_batch_size";
    private const string BatchRetries = "chargeledger_ledger_batch_retries";

    /// <summary>Null when the text has no batch-size histogram (an older host, or metrics not exported).</summary>
    public static LedgerCounters? Parse(string text)
    {
        double? commits = null;
        double decisions = 0, failed = 0;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            // name{labels} value [timestamp]: label values may hold spaces, so the value follows the last '}'.
            var nameEnd = line.IndexOfAny(['{', ' ']);
            if (nameEnd <= 0)
            {
                continue;
            }

            var labelsEnd = line[nameEnd] == '{' ? line.LastIndexOf('}') : nameEnd - 1;
            var fields = line[(labelsEnd + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0 || !double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                continue;
            }

            var name = line[..nameEnd];
            if (name.StartsWith(BatchSize, StringComparison.Ordinal) && name.EndsWith("_count", StringComparison.Ordinal))
            {
                commits = (commits ?? 0) + value;
            }
            else if (name.StartsWith(BatchSize, StringComparison.Ordinal) && name.EndsWith("_sum", StringComparison.Ordinal))
            {
                decisions += value;
            }
            else if (name.StartsWith(BatchRetries, StringComparison.Ordinal))
            {
                failed += value;
            }
        }

        return commits is { } c ? new LedgerCounters(c, decisions, failed) : null;
    }

    /// <summary>The counters now, or null when /metrics cannot be read (the report then leaves the line out).</summary>
    public static async Task<LedgerCounters?> ReadAsync(Uri host, CancellationToken ct)
    {
        try
        {
            using var http = new HttpClient { BaseAddress = host, Timeout = TimeSpan.FromSeconds(5) };
            return Parse(await http.GetStringAsync(new Uri("metrics", UriKind.Relative), ct));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>What happened between two readings.</summary>
    public static LedgerWindow? Between(LedgerCounters? from, LedgerCounters? to) =>
        from is null || to is null ? null
        : new LedgerWindow((long)(to.Commits - from.Commits),
            to.Commits > from.Commits ? Math.Round((to.Decisions - from.Decisions) / (to.Commits - from.Commits), 1) : 0,
            (long)(to.FailedCommits - from.FailedCommits));
}

/// <summary>Group commits during the measured window: how many, decisions per commit, and how many failed first.</summary>
public sealed record LedgerWindow(long Commits, double DecisionsPerCommit, long FailedCommits);
