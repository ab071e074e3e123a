using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChargeLedger.Telemetry;

/// <summary>
/// Keeps the telemetry side tables bounded: message keys are only needed while a redelivery could still be accepted
/// (younger than MaxAgeHours; an older message is refused as too old, so it cannot be recorded twice), dead letters for
/// DeadLetterRetentionDays. The events themselves are never deleted. Hourly; idempotent, so two nodes doing it is harmless.
/// </summary>
public sealed class TelemetryRetention(IDocumentStore store, TimeProvider time, IOptions<TelemetryOptions> options, ILogger<TelemetryRetention> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        do
        {
            try
            {
                await PruneAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Telemetry retention failed; retrying in an hour");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task PruneAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var keysBefore = now.AddHours(-options.Value.MaxAgeHours - 1);
        var lettersBefore = now.AddDays(-options.Value.DeadLetterRetentionDays);
        await using var session = store.LightweightSession();
        session.DeleteWhere<TelemetryMessageKey>(k => k.MeasuredAt < keysBefore);
        session.DeleteWhere<TelemetryDeadLetter>(d => d.ReceivedAt < lettersBefore);
        await session.SaveChangesAsync(cancellationToken);
    }
}
