using ChargeLedger.Projections.Billing;
using ChargeLedger.Projections.ChargePointStatus;
using ChargeLedger.Projections.Transactions;
using JasperFx.Events.Projections;
using Marten;

namespace ChargeLedger.Projections;

public static class ProjectionRegistration
{
    /// <summary>
    /// Read models, each with its lifecycle stated. Both are Async: operators and finance read eventually
    /// consistent views, and the OCPP write path must not pay for them inside its commits.
    /// </summary>
    public static StoreOptions AddChargeLedgerProjections(this StoreOptions options)
    {
        options.Projections.Add<ChargePointStatusProjection>(ProjectionLifecycle.Async);
        options.Projections.Add<TransactionProjection>(ProjectionLifecycle.Async);
        options.Schema.For<TransactionView>()
            .Index(x => x.ChargePointId)
            .Index(x => x.OcppTransactionId)
            .Index(x => x.StartedAt);

        // Billing: CDRs from TransactionPriced/TransactionRepriced; the report filters on the station-local start day.
        options.Projections.Add<CdrProjection>(ProjectionLifecycle.Async);
        options.Schema.For<CdrView>().Index(x => x.LocalStartDay);

        // A projection that cannot apply an event stops and says so rather than skipping it (STYLE.md, RELIABILITY E7).
        options.Projections.Errors.SkipApplyErrors = false;
        options.Projections.Errors.SkipSerializationErrors = false;
        options.Projections.Errors.SkipUnknownEvents = false;
        options.Projections.RebuildErrors.SkipApplyErrors = false;
        return options;
    }
}
