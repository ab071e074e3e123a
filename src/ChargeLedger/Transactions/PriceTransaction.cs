using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using ChargeLedger.Stations;
using ChargeLedger.Tariffs;
using Wolverine;

namespace ChargeLedger.Transactions;

/// <summary>A transaction as read for pricing: its state, the last link of its hash chain and its energy register readings.</summary>
public sealed record TransactionRecord(Transaction State, string LastHash, IReadOnlyList<EnergyReading> Readings);

/// <summary>Everything pricing a transaction reads (<see cref="LedgerStore.LoadPricingInputsAsync(IReadOnlyList{PricingRead}, CancellationToken)"/>); the decision is then pure.</summary>
public sealed record PricingInputs(TransactionRecord? Transaction, Station? Station, IReadOnlyList<ChargingStateChange> StatusChanges, TariffHistory? Tariff)
{
    public static readonly PricingInputs None = new(null, null, [], null);
}

/// <summary>A transaction to read for pricing, and the tariff to price it with when not the one it would be priced with.</summary>
public sealed record PricingRead(string TransactionId, string? TariffId = null);

/// <summary>Price a stopped transaction (a transaction of a page whose commit conflicted is priced again this way).</summary>
public sealed record PriceTransaction(string TransactionId);

/// <summary>
/// Price stopped transactions, in practice a page of <see cref="TransactionPricingSubscription"/>: read together, decided
/// one by one. Each decision is still its own change, committed on its own (in the group commit it shares with the others).
/// </summary>
public sealed record PriceTransactions(IReadOnlyList<string> TransactionIds);

/// <summary>The inputs of <see cref="PriceTransactions"/>, in its order.</summary>
public sealed record PricingPage(IReadOnlyList<PricingInputs> Inputs);

/// <summary>The decisions of <see cref="PriceTransactions"/>, in its order (a record, so Wolverine does not cascade a list).</summary>
public sealed record PricingDecisions(IReadOnlyList<Decision<PricingOutcome>> Decisions);

public enum PricingOutcome
{
    Priced,
    AlreadyPriced,
    NotStopped,
    UnknownTransaction,
}

public static class PriceTransactionHandler
{
    public static Task<PricingInputs> LoadAsync(PriceTransaction command, LedgerStore store, CancellationToken cancellationToken) =>
        store.LoadPricingInputsAsync(command.TransactionId, null, cancellationToken);

    /// <summary>
    /// Idempotent: a transaction already priced is not priced again (the subscription delivers at least once), and the
    /// append carries the stream version it was decided on, so a racing writer makes it decide again rather than price twice.
    /// </summary>
    public static Decision<PricingOutcome> Handle(PriceTransaction command, PricingInputs inputs, TimeProvider time) =>
        Decide(inputs, time.GetUtcNow());

    public static Decision<PricingOutcome> Decide(PricingInputs inputs, DateTimeOffset now)
    {
        if (inputs.Transaction is not { } record)
        {
            return Decision.Nothing(PricingOutcome.UnknownTransaction);
        }

        var tx = record.State;
        if (!tx.IsStopped)
        {
            return Decision.Nothing(PricingOutcome.NotStopped);
        }

        if (tx.Pricing is not null)
        {
            return Decision.Nothing(PricingOutcome.AlreadyPriced);
        }

        var priced = new TransactionPriced(tx.Id, tx.ChargePointId, tx.StationId, tx.IdTag, TransactionPricing.TimeZoneOf(inputs.Station),
            tx.StartedAt, tx.StoppedAt!.Value, TransactionPricing.InForce(inputs), now);
        return Decision.Of(PricingOutcome.Priced, new LedgerChange(
            [new StreamAppend(StreamKeys.Transaction(tx.Id), tx.Version, [priced], record.LastHash)], [], []));
    }
}

public static class PriceTransactionsHandler
{
    public static async Task<PricingPage> LoadAsync(PriceTransactions command, LedgerStore store, CancellationToken cancellationToken) =>
        new(await store.LoadPricingInputsAsync([.. command.TransactionIds.Select(id => new PricingRead(id))], cancellationToken));

    public static PricingDecisions Handle(PriceTransactions command, PricingPage page, TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new PricingDecisions([.. page.Inputs.Select(inputs => PriceTransactionHandler.Decide(inputs, now))]);
    }
}

/// <summary>Choosing what a stopped transaction is priced with, and pricing it (pure).</summary>
public static class TransactionPricing
{
    public const string FallbackTimeZone = "UTC";

    /// <summary>
    /// Longer "sessions" come from charge point clocks that jumped (a start in 1970, a stop in 2099): they are priced at
    /// zero with the reason and left to finance to re-rate once the times are checked, rather than billed for decades of
    /// charging (and walked day by day by the pricing subscription that every other session waits behind; unpriced, the
    /// walk has no local-time cuts and stays cheap).
    /// </summary>
    public static readonly TimeSpan MaxAutomaticSession = TimeSpan.FromDays(90);

    public static string TimeZoneOf(Station? station) =>
        station is not null && StationClock.IsKnownZone(station.TimeZone) ? station.TimeZone : FallbackTimeZone;

    public static SessionUsage Usage(TransactionRecord record, IReadOnlyList<ChargingStateChange> statusChanges)
    {
        var tx = record.State;
        return new SessionUsage(tx.StartedAt, tx.StoppedAt!.Value, tx.MeterStartWh, tx.MeterStopWh!.Value, record.Readings, statusChanges);
    }

    /// <summary>
    /// CONTRACT.md: the tariff assigned to the station at the session's start, in the latest version whose validFrom is
    /// not after the start; late sessions the same way. With nothing to price it with, the session is priced at zero
    /// with the reason, never skipped.
    /// </summary>
    public static PricingResult InForce(PricingInputs inputs)
    {
        var record = inputs.Transaction!;
        var tx = record.State;
        var zone = StationClock.Zone(TimeZoneOf(inputs.Station));
        var usage = Usage(record, inputs.StatusChanges);
        if (tx.StoppedAt!.Value - tx.StartedAt > MaxAutomaticSession)
        {
            return TariffPricing.Unpriced(
                $"The session lasted from {Iso(tx.StartedAt)} to {Iso(tx.StoppedAt.Value)}, longer than {MaxAutomaticSession.TotalDays:0} days; check the times and re-rate it.",
                zone, usage);
        }

        if (inputs.Station is not { } station)
        {
            return TariffPricing.Unpriced($"Station {tx.StationId} is not registered.", zone, usage);
        }

        if (station.TariffAt(tx.StartedAt) is not { } assignment)
        {
            return TariffPricing.Unpriced($"No tariff was assigned to station {station.Id} at {Iso(tx.StartedAt)}.", zone, usage);
        }

        return inputs.Tariff?.InForceAt(tx.StartedAt) is { } tariff
            ? TariffPricing.Price(tariff, zone, usage)
            : TariffPricing.Unpriced($"Tariff {assignment.TariffId} had no version valid at {Iso(tx.StartedAt)}.", zone, usage);
    }

    public static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Prices transactions: the Wolverine handler decides, the ledger's group commit appends (hash-chained, with the
/// expected stream version). A conflict means another event reached the stream first (a late MeterValues, a duplicate
/// stop, another pricing of the same transaction): the transaction is read and decided again on its own.
/// </summary>
public sealed class TransactionPricer(LedgerWriter writer)
{
    private const int MaxAttempts = 3;

    public async Task<PricingOutcome> PriceAsync(IMessageBus bus, string transactionId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var decision = await bus.InvokeAsync<Decision<PricingOutcome>>(new PriceTransaction(transactionId), cancellationToken);
            try
            {
                await writer.CommitAsync(decision.Change, CancellationToken.None);
                return decision.Result;
            }
            catch (Exception ex) when (attempt < MaxAttempts && LedgerPipeline.IsConflict(ex))
            {
            }
        }
    }

    /// <summary>
    /// Prices these transactions as one read and one decision (<see cref="PriceTransactions"/>), then queues every
    /// transaction's change at once, so they share group commits instead of each waiting for its own. Each change is
    /// still committed on its own terms: one that conflicts is priced again alone (<see cref="PriceAsync(IMessageBus, string, CancellationToken)"/>)
    /// and the others stand. Outcomes are in the order of <paramref name="transactionIds"/>.
    /// </summary>
    public async Task<PricingOutcome[]> PriceAsync(IMessageBus bus, IReadOnlyList<string> transactionIds, CancellationToken cancellationToken)
    {
        var decisions = (await bus.InvokeAsync<PricingDecisions>(new PriceTransactions(transactionIds), cancellationToken)).Decisions;
        var commits = decisions.Select(d => writer.CommitAsync(d.Change, CancellationToken.None)).ToArray();
        try
        {
            await Task.WhenAll(commits);
        }
        catch
        {
            // Every commit's own outcome is looked at below.
        }

        var outcomes = new PricingOutcome[decisions.Count];
        var failures = new List<Exception>();
        for (var i = 0; i < commits.Length; i++)
        {
            if (commits[i].IsCompletedSuccessfully)
            {
                outcomes[i] = decisions[i].Result;
            }
            else if (LedgerPipeline.IsConflict(commits[i].Exception?.InnerException))
            {
                outcomes[i] = await PriceAsync(bus, transactionIds[i], cancellationToken);
            }
            else
            {
                failures.Add(commits[i].Exception?.InnerException ?? new TaskCanceledException(commits[i]));
            }
        }

        return failures.Count == 0 ? outcomes : throw new AggregateException("Pricing a page of transactions failed", failures);
    }
}
