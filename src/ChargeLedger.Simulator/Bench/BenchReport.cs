using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace ChargeLedger.Simulator.Bench;

/// <summary>CPU over a window, 100 = one core busy; the machine figure is over all its cores (100 = all busy).</summary>
public sealed record CpuUsage(double? ServerPercentOfOneCore, double? PostgresPercentOfOneCore, double ClientPercentOfOneCore,
    double MachineBusyPercent, int Cores);

/// <summary>RSS readings of a window in KiB: lowest, median (the upper one of an even count), highest, and how many.</summary>
public sealed record RssRange(long MinKib, long MedianKib, long MaxKib, int Samples);

public sealed record MemoryUsage(double? ServerRssMiBStart, double? ServerRssMiBEnd, double? ServerRssMiBMax, double ClientRssMiB);

public sealed record LagSummary(double P50, double P99, double Max);

/// <summary>lagSeconds of GET /api/admin/projections: the age of the oldest event a projection has not applied yet.</summary>
public sealed record LagReport(int Samples, LagSummary Overall, Dictionary<string, LagSummary> Projections, string? FirstError);

/// <summary>Events committed to mt_events between the two snapshots that bound the measured window.</summary>
public sealed record StoreWindow(long FromSequence, long ToSequence, long Events, double EventsPerSecond);

public sealed record OcppReport(
    int ChargePoints,
    int Connected,
    double TargetRate,
    double WarmupSeconds,
    double DurationSeconds,
    int MeterValues,
    long Calls,
    double CallsPerSecond,
    long Sessions,
    long Errors,
    Dictionary<string, long> ErrorsByKind,
    Dictionary<string, LatencySummary> LatencyMs,
    LatencySummary? ScheduleLagMs,
    LatencySummary ConnectMs,
    int ServerCalls,
    StoreWindow? Store,
    CpuUsage Cpu,
    MemoryUsage Memory,
    LagReport? ProjectionLag,
    List<ProgressionBacklog>? BacklogAtEnd,
    LedgerWindow? GroupCommits = null);

/// <summary>
/// One mt_event_progression row (a projection, projection group or subscription such as TransactionPricing) at the end
/// of the measured window: how many events it stood behind the last one, and the age of the oldest it had not reached.
/// </summary>
public sealed record ProgressionBacklog(string Name, long BehindEvents, double? OldestSeconds);

public sealed record ConnectionsRound(
    int Round,
    int Requested,
    int Connected,
    double ConnectSeconds,
    double ConnectsPerSecond,
    LatencySummary HandshakeMs,
    long Heartbeats,
    LatencySummary HeartbeatMs,
    long Dropped,
    double? ServerRssMiBBefore,
    double? ServerRssMiBHeld,
    double? ServerRssMiBHeldMin,
    double? ServerRssMiBHeldMax,
    int RssSamplesHeld,
    double? BytesPerConnection,
    double? BytesPerConnectionMin,
    double? BytesPerConnectionMax,
    double ClientRssMiBHeld,
    CpuUsage ConnectCpu,
    CpuUsage HoldCpu,
    long Errors,
    Dictionary<string, long> ErrorsByKind);

public sealed record ConnectionsReport(
    int Connections,
    double TargetConnectRate,
    double HeartbeatSeconds,
    double HoldSeconds,
    int SourceAddresses,
    double? ServerRssMiBIdle,
    List<ConnectionsRound> Rounds);

public sealed record CopyReport(
    long FromSequence,
    long ToSequence,
    long Rows,
    long DataBytes,
    int BatchSize,
    int Parallel,
    double ReadSeconds,
    double CopySeconds,
    double RowsPerSecond,
    string Table,
    CpuUsage Cpu,
    List<double> PassRowsPerSecond,
    double? PostgresMicrosPerRow,
    List<AppendShape>? Shapes);

/// <summary>The same rows written another way (copy-baseline --shapes): median of the passes.</summary>
public sealed record AppendShape(string Name, int BatchSize, bool ForeignKey, double RowsPerSecond, double? PostgresMicrosPerRow,
    double? ClientMicrosPerRow, CpuUsage Cpu, List<double> PassRowsPerSecond);

public sealed record ProvisionReport(int Requested, int Created, int Existing, int Failed, double Seconds, double PerSecond,
    Dictionary<string, long> ErrorsByKind);

public sealed record BenchReport(
    string Scenario,
    string? Label,
    DateTimeOffset StartedAt,
    OcppReport? Ocpp = null,
    ConnectionsReport? Connections = null,
    CopyReport? Copy = null,
    ProvisionReport? Provision = null)
{
    public string Markdown()
    {
        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        if (Ocpp is { } o)
        {
            var loop = o.TargetRate > 0 ? string.Create(inv, $"open loop at {o.TargetRate:#,0} calls/s") : "closed loop";
            var events = o.Store is { } s ? string.Create(inv, $", {s.Events:#,0} events = {s.EventsPerSecond:#,0} events/s") : "";
            md.AppendLine(inv, $"**OCPP full-session mix** ({o.ChargePoints} charge points, {loop}, {o.DurationSeconds:0.#} s after {o.WarmupSeconds:0.#} s warm-up): {o.CallsPerSecond:#,0.#} calls/s, {o.Errors} errors, {o.Sessions:#,0} sessions{events}.");
            md.AppendLine();
            md.AppendLine("| action | calls | p50 | p90 | p99 | p99.9 | max (ms) |");
            md.AppendLine("|---|---|---|---|---|---|---|");
            foreach (var (action, l) in o.LatencyMs)
            {
                md.AppendLine(inv, $"| {action} | {l.Count:#,0} | {l.P50} | {l.P90} | {l.P99} | {l.P999} | {l.Max} |");
            }

            if (o.ScheduleLagMs is { } lag)
            {
                md.AppendLine(inv, $"| (send later than scheduled) | {lag.Count:#,0} | {lag.P50} | {lag.P90} | {lag.P99} | {lag.P999} | {lag.Max} |");
            }

            md.AppendLine();
            md.AppendLine(Resources(o.Cpu, o.Memory));
            if (o.ProjectionLag is { } pl)
            {
                var perProjection = string.Join("; ", pl.Projections.Select(p => string.Create(inv, $"{p.Key} {p.Value.P99:0.###}")));
                var sampling = pl.FirstError is { } e ? $" (sampling error: {e})" : "";
                md.AppendLine(inv, $"Projection lag ({pl.Samples} samples, s): over all projections p50 {pl.Overall.P50:0.###} / p99 {pl.Overall.P99:0.###} / max {pl.Overall.Max:0.###}; p99 by projection: {perProjection}{sampling}");
            }

            if (o.BacklogAtEnd is { Count: > 0 } backlog)
            {
                var rows = string.Join("; ", backlog.Select(b => b.BehindEvents == 0
                    ? $"{b.Name} 0"
                    : string.Create(inv, $"{b.Name} {b.BehindEvents:#,0} (oldest {b.OldestSeconds?.ToString("0.0", inv) ?? "?"} s)")));
                md.AppendLine();
                md.AppendLine(inv, $"Behind the last event at the end of the window (mt_event_progression: projections, groups and subscriptions, events): {rows}");
            }

            if (o.GroupCommits is { } gc)
            {
                md.AppendLine();
                md.AppendLine(inv, $"Group commits in the window (the host's /metrics): {gc.Commits:#,0}, {gc.DecisionsPerCommit:0.#} decisions each; {gc.FailedCommits:#,0} failed and were committed again in halves.");
            }

            if (o.ErrorsByKind.Count > 0)
            {
                md.AppendLine(inv, $"Errors: {string.Join(", ", o.ErrorsByKind.Select(e => string.Create(inv, $"{e.Key} {e.Value}")))}");
            }
        }

        if (Connections is { } c)
        {
            md.AppendLine(inv, $"**Connections** ({c.Connections:#,0} charge points, Basic auth, target {c.TargetConnectRate:#,0}/s, heartbeat every {c.HeartbeatSeconds:0.#} s, held {c.HoldSeconds:0.#} s, {c.SourceAddresses} source address(es)); server RSS idle {c.ServerRssMiBIdle?.ToString("0.0", inv) ?? "?"} MiB.");
            md.AppendLine();
            md.AppendLine("| round | connected | connects/s | handshake p50 / p99 / max (ms) | heartbeats | heartbeat p50 / p99 (ms) | dropped | server RSS held, median (min–max) MiB | bytes/connection, median (min–max) | server CPU connect / hold | client CPU connect / hold | errors |");
            md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var r in c.Rounds)
            {
                md.AppendLine(inv, $"| {r.Round} | {r.Connected:#,0} of {r.Requested:#,0} | {r.ConnectsPerSecond:#,0.#} | {r.HandshakeMs.P50} / {r.HandshakeMs.P99} / {r.HandshakeMs.Max} | {r.Heartbeats:#,0} | {r.HeartbeatMs.P50} / {r.HeartbeatMs.P99} | {r.Dropped} | {r.ServerRssMiBHeld?.ToString("0.0", inv) ?? "?"} ({r.ServerRssMiBHeldMin?.ToString("0.0", inv) ?? "?"}–{r.ServerRssMiBHeldMax?.ToString("0.0", inv) ?? "?"}) | {r.BytesPerConnection?.ToString("#,0", inv) ?? "?"} ({r.BytesPerConnectionMin?.ToString("#,0", inv) ?? "?"}–{r.BytesPerConnectionMax?.ToString("#,0", inv) ?? "?"}) | {Pct(r.ConnectCpu.ServerPercentOfOneCore)} / {Pct(r.HoldCpu.ServerPercentOfOneCore)} | {Pct(r.ConnectCpu.ClientPercentOfOneCore)} / {Pct(r.HoldCpu.ClientPercentOfOneCore)} | {r.Errors}{(r.ErrorsByKind.Count > 0 ? " (" + string.Join(", ", r.ErrorsByKind.Select(e => string.Create(inv, $"{e.Key} {e.Value}"))) + ")" : "")} |");
            }
        }

        if (Copy is { } copy)
        {
            md.AppendLine(inv, $"**COPY baseline**: {copy.Rows:#,0} rows (mt_events seq {copy.FromSequence + 1}..{copy.ToSequence}, {copy.DataBytes / 1024.0 / 1024.0:0.0} MiB of jsonb) into {copy.Table} by binary COPY, {copy.BatchSize:#,0} rows per durable commit, {copy.Parallel} writer(s): {copy.CopySeconds:0.00} s = **{copy.RowsPerSecond:#,0} rows/s** (median of {copy.PassRowsPerSecond.Count} passes: {string.Join(", ", copy.PassRowsPerSecond.Select(r => r.ToString("#,0", inv)))}); PostgreSQL CPU {Pct(copy.Cpu.PostgresPercentOfOneCore)}, client {Pct(copy.Cpu.ClientPercentOfOneCore)}, machine {copy.Cpu.MachineBusyPercent:0} % busy.");
            if (copy.Shapes is { Count: > 0 } shapes)
            {
                md.AppendLine();
                md.AppendLine("The same rows in the group commit's shapes (each into the emptied table; median of the passes; PostgreSQL's CPU over the rows written):");
                md.AppendLine();
                md.AppendLine("| shape | rows per commit | foreign key to streams | rows/s | PostgreSQL µs per row | client µs per row |");
                md.AppendLine("|---|---|---|---|---|---|");
                md.AppendLine(inv, $"| binary COPY (the baseline above) | {copy.BatchSize:#,0} | no | {copy.RowsPerSecond:#,0} | {copy.PostgresMicrosPerRow?.ToString("0.0", inv) ?? "?"} | – |");
                foreach (var shape in shapes)
                {
                    md.AppendLine(inv, $"| {shape.Name} | {shape.BatchSize:#,0} | {(shape.ForeignKey ? "yes" : "no")} | {shape.RowsPerSecond:#,0} | {shape.PostgresMicrosPerRow?.ToString("0.0", inv) ?? "?"} | {shape.ClientMicrosPerRow?.ToString("0.0", inv) ?? "?"} |");
                }
            }
        }

        if (Provision is { } p)
        {
            md.AppendLine(inv, $"**Provisioning**: {p.Requested:#,0} charge points ({p.Created:#,0} created, {p.Existing:#,0} existing, {p.Failed} failed) in {p.Seconds:0.0} s = {p.PerSecond:#,0.#}/s.");
        }

        return md.ToString();
    }

    public static string Resources(CpuUsage cpu, MemoryUsage memory) => string.Create(CultureInfo.InvariantCulture,
        $"CPU (100 % = one core; {cpu.Cores} cores): server {Pct(cpu.ServerPercentOfOneCore)}, PostgreSQL {Pct(cpu.PostgresPercentOfOneCore)}, client {Pct(cpu.ClientPercentOfOneCore)}, machine {cpu.MachineBusyPercent:0} % busy. " +
        $"Server RSS {memory.ServerRssMiBStart?.ToString("0", CultureInfo.InvariantCulture) ?? "?"} → {memory.ServerRssMiBEnd?.ToString("0", CultureInfo.InvariantCulture) ?? "?"} MiB (max {memory.ServerRssMiBMax?.ToString("0", CultureInfo.InvariantCulture) ?? "?"}), client RSS {memory.ClientRssMiB:0} MiB.");

    private static string Pct(double? percent) => percent is { } p ? string.Create(CultureInfo.InvariantCulture, $"{p:0} %") : "?";
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(BenchReport))]
[JsonSerializable(typeof(ProjectionLagRow[]))]
[JsonSerializable(typeof(RegisterChargePointBody))]
[JsonSerializable(typeof(ChargePointRegistrationBody))]
[JsonSerializable(typeof(RegisterStationBody))]
[JsonSerializable(typeof(IssueIdTagBody))]
[JsonSerializable(typeof(string))]
public sealed partial class BenchJsonContext : JsonSerializerContext;

public sealed record RegisterChargePointBody(string Id, string StationId, string? Password);

/// <summary>POST /api/chargepoints' answer: the password only when the host generated it.</summary>
public sealed record ChargePointRegistrationBody(string Id, string? Password);

public sealed record RegisterStationBody(string Id, string Name, string TimeZone);

public sealed record IssueIdTagBody(string IdTag, DateTimeOffset? ExpiresAt, string? ParentIdTag);
