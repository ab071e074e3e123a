using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChargeLedger.Ocpp.Gateway;

/// <summary>
/// Notices charge points whose socket is open but which sent nothing for twice the heartbeat interval ("went silent",
/// issue 3) and records it once per silence; the idle timeout closes such sockets a minute later. Heartbeats stay in
/// memory (DESIGN.md), so this scan over the node's own connections is what turns their absence into an event.
/// </summary>
public sealed class SilenceWatchdog(ConnectionRegistry registry, IOptions<OcppOptions> options, TimeProvider time, ILogger<SilenceWatchdog> logger)
    : BackgroundService
{
    // A scan never holds up on one connection (busy ones are skipped) and appends for a few at a time, so a burst of
    // silences (a site's uplink failing) reaches the group commit in parallel without flooding it.
    private const int MaxParallelAppends = 4;
    private static readonly TimeSpan MinScanDeadline = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SilenceScanInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await ScanAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass over the connections, bounded in time by the scan interval (at least 10 s).</summary>
    public async Task ScanAsync(CancellationToken cancellationToken)
    {
        var threshold = options.Value.SilenceThreshold;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Value.SilenceScanInterval > MinScanDeadline ? options.Value.SilenceScanInterval : MinScanDeadline);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = MaxParallelAppends, CancellationToken = deadline.Token };
        try
        {
            await Parallel.ForEachAsync(registry.Connections, parallel, async (connection, token) =>
            {
                try
                {
                    await connection.ObserveSilenceAsync(threshold, token);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The next scan tries again: a silence not yet recorded is still a silence then.
                    logger.LogWarning(ex, "Could not record the silence of {ChargePointId}", connection.ChargePointId);
                }
            });
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Silence scan did not finish within its deadline; the rest waits for the next scan");
        }
    }
}
