using System.Diagnostics;
using System.Diagnostics.Metrics;
using JasperFx;
using Marten.Exceptions;
using Wolverine;

namespace ChargeLedger.Ledger;

/// <summary>
/// Runs one charge point message through the write side: the Wolverine handler decides (pure), the group commit
/// persists, the ledger advances, and only then does the caller get the answer (DESIGN rule 1). A concurrency
/// conflict (another writer got to the stream first, or a racing duplicate start) reloads the ledger and decides again.
/// </summary>
public sealed class LedgerPipeline(LedgerWriter writer, LedgerStore store)
{
    private const int MaxAttempts = 3;
    private static readonly Meter Meter = new("ChargeLedger.Ledger");
    private static readonly Histogram<double> DecideMs = Meter.CreateHistogram<double>("chargeledger.ledger.decide_ms", "ms",
        "Loading and deciding one command (the Wolverine handler)");
    private static readonly Histogram<double> CommitWaitMs = Meter.CreateHistogram<double>("chargeledger.ledger.commit_wait_ms", "ms",
        "Waiting for one decision's group commit");

    public async Task<TResult> ExecuteAsync<TResult>(IMessageBus bus, ChargePointLedger ledger, object command, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var started = Stopwatch.GetTimestamp();
            var decision = await bus.InvokeAsync<Decision<TResult>>(command, cancellationToken);
            var decided = Stopwatch.GetTimestamp();
            var kind = new KeyValuePair<string, object?>("command", command.GetType().Name);
            DecideMs.Record(Stopwatch.GetElapsedTime(started, decided).TotalMilliseconds, kind);
            try
            {
                // Not cancellable: once queued the commit happens, and the ledger must then advance with it, or the
                // next decision would be made on stale state (a needless conflict and reload).
                var receipt = await writer.CommitAsync(decision.Change, CancellationToken.None);
                ledger.Apply(decision.Change, receipt);
                CommitWaitMs.Record(Stopwatch.GetElapsedTime(decided).TotalMilliseconds, kind);
                return decision.Result;
            }
            catch (Exception ex) when (attempt < MaxAttempts && IsConflict(ex))
            {
                var fresh = await store.LoadChargePointAsync(ledger.ChargePointId, cancellationToken)
                    ?? throw new InvalidOperationException($"Charge point {ledger.ChargePointId} disappeared", ex);
                ledger.Reset(fresh);
            }
        }
    }

    /// <summary>Another writer got to the stream first (expected version), or a racing duplicate start.</summary>
    internal static bool IsConflict(Exception? ex) =>
        ExceptionChain.Find<Exception>(ex, e => e is StreamConflictException or ConcurrencyException or ExistingStreamIdCollisionException
            or DocumentAlreadyExistsException) is not null;
}
