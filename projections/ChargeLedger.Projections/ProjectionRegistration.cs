using ChargeLedger.Projections.Admin;
using ChargeLedger.Projections.Alarms;
using ChargeLedger.Projections.Billing;
using ChargeLedger.Projections.ChargePointStatus;
using ChargeLedger.Projections.Energy;
using ChargeLedger.Projections.Grid;
using ChargeLedger.Projections.Transactions;
using ChargeLedger.Projections.Uptime;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Projections;
using Microsoft.Extensions.DependencyInjection;

namespace ChargeLedger.Projections;

public static class ProjectionRegistration
{
    /// <summary>
    /// Read models, each with its lifecycle stated. All are Async: operators and finance read eventually
    /// consistent views, and the OCPP write path must not pay for them inside its commits.
    /// Call after DatabaseSchemaName is set: the uptime tables live in the event store's schema.
    /// </summary>
    public static StoreOptions AddChargeLedgerProjections(this StoreOptions options)
    {
        // Pages of up to 5,000 events instead of Marten's 500. Under load the daemon's high-water mark moves every 250 ms
        // by ~1,250 events, so a page is what it moved by: with 500-event pages a session's read models were rewritten on
        // each of ~3 pages per step (going to 2,000 in session 5: Transactions/Energy upserts halved per event, 5,007 ->
        // 5,642 calls/s back to back). A bigger page matters when catching up or rebuilding, where each session document
        // is loaded and stored once per page: rebuilding both groups over 176,562 events took 12.4 s with 5,000, 22.3 s
        // with 2,000 (17.5 s for the six projections as separate shards; README "Performance"). A group member's own
        // AsyncOptions are not used; Grid keeps its own 5,000 (GridMeterProjection).
        //
        // A group loads only the event types its members take in. Left unfiltered it would load and deserialise every
        // event, and an event only another group's projection cannot read (a poison event) would stop it too.
        static void Group(CompositeProjection group)
        {
            group.Options.BatchSize = 5_000;
            foreach (var type in group.AllProjections().Cast<EventFilterable>().SelectMany(IncludedTypes).Distinct())
            {
                group.IncludeType(type);
            }
        }

        static IEnumerable<Type> IncludedTypes(EventFilterable member) => member.IncludedEventTypes.Count > 0
            ? member.IncludedEventTypes
            : throw new InvalidOperationException($"{member} takes in every event type; a projection group needs each member's types.");

        // Two projection groups (ProjectionGroups): each runs its members as one daemon shard that loads every page of
        // events once for all of them, instead of once per projection.
        options.Projections.CompositeProjectionFor(ProjectionGroups.Operations, group =>
        {
            group.Add<ChargePointStatusProjection>();
            group.Add(new UptimeTransitionProjection(options.DatabaseSchemaName));
            group.Add<AlarmProjection>();
            Group(group);
        });
        options.Projections.CompositeProjectionFor(ProjectionGroups.Sessions, group =>
        {
            group.Add<TransactionProjection>();
            group.Add<EnergyProjection>();
            group.Add<CdrProjection>();
            Group(group);
        });

        // Grid import from station meters (issue 4): one document per meter and UTC day. On its own: station telemetry
        // arrives over MQTT at rates of its own, and its read model neither waits for nor holds up the OCPP ones.
        // Its own pages of 5,000 (GridMeterProjection): telemetry comes as many small events.
        options.Projections.Add<GridMeterProjection>(ProjectionLifecycle.Async);
        options.Schema.For<GridMeterDayView>().Index(x => x.DayStart).Index(x => x.StationId);

        // Duplicated columns, not expression indexes on data: these fields never change after the start, so an update of
        // the document (every page of a running session) leaves every index alone and can be HOT (with the free space
        // per page that migration 0012 gives the table). Under OCPP load: HOT updates 8.6 -> 75 %, the upsert's mean
        // 0.074 -> 0.030 ms (README "Performance").
        options.Schema.For<TransactionView>()
            .Duplicate(x => x.ChargePointId)
            .Duplicate(x => x.OcppTransactionId)
            .Duplicate(x => x.StartedAt);
        // The same for EnergySessionView (migrations 0013, 0014). Its LastAt moves with every sample, so the report's window
        // query is narrowed by LastSlot (LastAt's 15-minute slot, which moves at most once per slot) and then by LastAt.
        options.Schema.For<EnergySessionView>()
            .Duplicate(x => x.StationId)
            .Duplicate(x => x.LastSlot);

        // Billing: CDRs from TransactionPriced/TransactionRepriced; the report filters on the station-local start day.
        options.Schema.For<CdrView>().Index(x => x.LocalStartDay);

        // Alarms: one document per alarm stream, from the events AlarmSubscription appends; the list reads newest first,
        // mostly the active ones, by station or charge point.
        options.Schema.For<AlarmView>()
            .Index(x => x.RaisedAt)
            .Index(x => x.Active)
            .Index(x => x.StationId)
            .Index(x => x.ChargePointId);

        // The daemon looks for new events every 250 ms when busy but backs off to 1 s when a poll finds little; with
        // charging traffic arriving in waves that back-off alone put the lag just over 1 s (p99 1.1 s at 1,500 calls/s).
        // A poll is one cheap query on mt_events' sequence.
        options.Projections.SlowPollingTime = TimeSpan.FromMilliseconds(250);

        // A projection that cannot apply an event stops and says so rather than skipping it (STYLE.md, RELIABILITY E7).
        options.Projections.Errors.SkipApplyErrors = false;
        options.Projections.Errors.SkipSerializationErrors = false;
        options.Projections.Errors.SkipUnknownEvents = false;
        options.Projections.RebuildErrors.SkipApplyErrors = false;
        return options;
    }

    /// <summary>
    /// Projection administration (issue 3): the monitor of this node's async daemon (state, error log, metrics of meter
    /// "ChargeLedger.Projections"), background rebuilds and the "projections" health entry. Register after AddMarten.
    /// </summary>
    public static IServiceCollection AddChargeLedgerProjectionAdmin(this IServiceCollection services)
    {
        services.AddSingleton<ProjectionCatalog>();
        services.AddSingleton<ProjectionMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<ProjectionMonitor>());
        services.AddSingleton<ProjectionRebuilder>();
        services.AddHealthChecks().AddCheck<ProjectionHealthCheck>(ProjectionHealthCheck.Name);
        return services;
    }
}
