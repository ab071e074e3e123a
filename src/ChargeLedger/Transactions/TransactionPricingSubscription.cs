using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
using Wolverine.Marten.Subscriptions;

namespace ChargeLedger.Transactions;

/// <summary>
/// Pricing is driven from the event store, not from the StopTransaction call: the async daemon hands this subscription
/// every TransactionStopped and records how far it got in PostgreSQL (mt_event_progression) after each page. A crash
/// between a stop's commit and its pricing therefore never leaves the session unpriced: the page is delivered again and
/// <see cref="PriceTransactionHandler"/> skips what is already priced. The OCPP reply never waits for it.
/// A page's transactions are priced in chunks of <see cref="Chunk"/>: each chunk is read in three round trips and decided
/// at once, and its appends share the ledger's group commits (<see cref="TransactionPricer.PriceAsync(IMessageBus, IReadOnlyList{string}, CancellationToken)"/>).
/// </summary>
public sealed class TransactionPricingSubscription : BatchSubscription
{
    public const string SubscriptionNameValue = "TransactionPricing";
    // Pricing is background work sharing two cores with the OCPP path. One transaction at a time, 4 in parallel pushed
    // StopTransaction's p99 from ~45 to ~150 ms at 1,550 calls/s, and 2 fell behind above ~4,000 calls/s (~270 stops/s),
    // each transaction waiting for its own reads and commit. Two chunks of 32 keep up at saturation (~530 stops/s at
    // 7,900 calls/s, README "Performance"); chunks of 8, or one chunk of 32 at a time, kept up too at 4,000 calls/s
    // with no better p99.
    private const int Parallelism = 2;

    /// <summary>Transactions read, decided and committed together.</summary>
    public const int Chunk = 32;

    private readonly IServiceProvider _services;

    /// <summary>
    /// The pricer is resolved on first use, not injected: the subscription is built while Marten's options are built, and
    /// the pricer's ledger writer needs the document store those options make (a constructor dependency would deadlock).
    /// </summary>
    public TransactionPricingSubscription(IServiceProvider services) : base(SubscriptionNameValue)
    {
        _services = services;
        IncludeType<TransactionStopped>();
    }

    public override async Task ProcessEventsAsync(EventRange page, ISubscriptionController controller, IDocumentOperations operations,
        IMessageBus bus, CancellationToken cancellationToken)
    {
        var pricer = _services.GetRequiredService<TransactionPricer>();
        var transactionIds = page.Events.Select(e => e.Data).OfType<TransactionStopped>().Select(e => e.TransactionId).Distinct(StringComparer.Ordinal);
        await Parallel.ForEachAsync(transactionIds.Chunk(Chunk), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (ids, token) => await pricer.PriceAsync(bus, ids, token));
    }
}
