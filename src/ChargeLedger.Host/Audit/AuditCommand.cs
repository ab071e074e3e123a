using System.Diagnostics;
using System.Globalization;
using ChargeLedger.Audit;
using JasperFx.CommandLine;

namespace ChargeLedger.Host.Audit;

public sealed class AuditInput : NetCoreInput
{
    [Description("verify: recompute the hash chain of every transaction stream (or one, with --transaction)")]
    public string Action { get; set; } = "verify";

    [Description("Verify one transaction only: its id (CP-1:42) or its bare OCPP transactionId (42)")]
    [FlagAlias("transaction", 't')]
    public string TransactionFlag { get; set; } = "";
}

/// <summary>
/// <c>audit verify [--transaction CP-1:42]</c>: prints progress to stderr, each stream's first broken link and the
/// summary to stdout, and exits non-zero when anything is broken (or the transaction is unknown), so a scheduled job
/// or CI can alert on it.
/// </summary>
[Description("Verify the tamper-evident hash chains of the transaction streams", Name = "audit")]
public sealed class AuditCommand : JasperFxAsyncCommand<AuditInput>
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(2);

    public override async Task<bool> Execute(AuditInput input)
    {
        if (!string.Equals(input.Action, "verify", StringComparison.OrdinalIgnoreCase))
        {
            await Console.Error.WriteLineAsync($"Unknown action '{input.Action}': use verify.");
            return false;
        }

        using var host = input.BuildHost();
        var verifier = host.Services.GetRequiredService<AuditVerifier>();
        string? streamKey = null;
        if (input.TransactionFlag.Length > 0 && (streamKey = await verifier.FindStreamAsync(input.TransactionFlag, CancellationToken.None)) is null)
        {
            await Console.Error.WriteLineAsync($"Unknown transaction {input.TransactionFlag}.");
            return false;
        }

        var sinceProgress = Stopwatch.StartNew();
        var report = await verifier.VerifyAsync(streamKey,
            p =>
            {
                if (sinceProgress.Elapsed >= ProgressInterval)
                {
                    sinceProgress.Restart();
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"audit: {p.StreamsChecked:N0}/{p.StreamsTotal:N0} streams ({100.0 * p.StreamsChecked / Math.Max(1, p.StreamsTotal):0}%), {p.EventsChecked:N0} events, {p.Broken:N0} broken"));
                }
            },
            b => Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"BROKEN {b.Stream} at version {b.Version} (sequence {b.Sequence?.ToString(CultureInfo.InvariantCulture) ?? "-"}): {b.Reason}; expected {b.Expected}; stored {b.Stored}")),
            CancellationToken.None);

        await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{(report.Intact ? "INTACT" : "BROKEN")}: {report.Streams:N0} streams, {report.Events:N0} events checked, {report.Broken:N0} broken " +
            $"({(report.FinishedAt - report.StartedAt).TotalSeconds:0.0} s)"));
        return report.Intact;
    }
}
