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
/// Transactions of a page are priced a few at a time; their appends share the ledger's group commits.
/// </summary>
public sealed class TransactionPricingSubscription : BatchSubscription
{
    public const string SubscriptionNameValue = "TransactionPricing";
    // Pricing is background work sharing two cores with the OCPP path: at 4 in parallel the burst of pricing after a
    // wave of stops pushed StopTransaction's p99 from ~45 to ~150 ms at 1,550 calls/s; 2 keeps up with ~200 stops/s.
    private const int Parallelism = 2;

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
        await Parallel.ForEachAsync(transactionIds, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (transactionId, token) => await pricer.PriceAsync(bus, transactionId, token));
    }
}
