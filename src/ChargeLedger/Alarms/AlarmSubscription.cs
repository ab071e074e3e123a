using System.Collections.Immutable;
using ChargeLedger.Shared;
using ChargeLedger.Telemetry;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;

namespace ChargeLedger.Alarms;

/// <summary>
/// Runs <see cref="AlarmEvaluator"/> over the event store in order, from the first event, through the async daemon.
/// Everything it writes goes through the <see cref="IDocumentOperations"/> the daemon hands it: Marten 9.58 queues those
/// operations in the same ProjectionUpdateBatch as the subscription's progression update and commits them in one
/// PostgreSQL transaction (DocumentStore's ISubscriptionRunner.ExecuteAsync → ExecuteBatchAsync). So a page's alarm
/// events, the evaluator's state and "processed up to N" commit together or not at all: a crash means the page is
/// evaluated again from the state that belongs to it. Each state document also keeps the last sequence it took in and
/// ignores anything not after it, which keeps the appends idempotent even if the progress were rewound on its own.
/// </summary>
public sealed class AlarmSubscription : SubscriptionBase
{
    public const string SubscriptionName = "AlarmEvaluation";

    public AlarmSubscription()
    {
        Name = SubscriptionName;
        foreach (var type in AlarmEvaluator.EventTypes)
        {
            IncludeType(type);
        }
    }

    public override async Task<IChangeListener> ProcessEventsAsync(EventRange page, ISubscriptionController controller, IDocumentOperations operations,
        CancellationToken cancellationToken)
    {
        var triggers = page.Events.Select(e => new AlarmTrigger(e.Sequence, e.Data)).ToList();
        var chargePointIds = triggers.Select(t => AlarmEvaluator.ChargePointOf(t.Data)).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        var rules = await operations.LoadAsync<AlarmRuleBook>(AlarmRuleBook.DocumentId, cancellationToken) ?? new AlarmRuleBook();

        // Only devices some rule (stored, or defined in this page) may watch have state worth loading.
        var watching = rules.Rules.Concat(triggers.Select(t => t.Data).OfType<AlarmRuleDefined>().Select(AlarmRule.From)).ToList();
        var deviceIds = triggers.Select(t => t.Data).OfType<TelemetryRecorded>()
            .Where(e => watching.Any(r => AlarmEvaluator.IsWatched(r, e.Kind)))
            .Select(e => e.DeviceId).Distinct(StringComparer.Ordinal).ToArray();
        var chargePoints = chargePointIds.Length == 0 ? [] : await operations.LoadManyAsync<ChargePointAlarmState>(cancellationToken, chargePointIds);
        var devices = deviceIds.Length == 0 ? [] : await operations.LoadManyAsync<DeviceAlarmState>(cancellationToken, deviceIds);
        var before = AlarmState.Empty with
        {
            Rules = rules,
            ChargePoints = AlarmState.Empty.ChargePoints.SetItems(chargePoints.Select(d => KeyValuePair.Create(d.Id, d))),
            Devices = AlarmState.Empty.Devices.SetItems(devices.Select(d => KeyValuePair.Create(d.Id, d))),
        };

        var (after, changes) = AlarmEvaluator.Evaluate(before, triggers);

        if (!ReferenceEquals(after.Rules, before.Rules))
        {
            operations.Store(after.Rules);
        }

        StoreChanged(operations, before.ChargePoints, after.ChargePoints);
        StoreChanged(operations, before.Devices, after.Devices);
        foreach (var alarm in changes.GroupBy(c => c.AlarmId, StringComparer.Ordinal))
        {
            operations.Events.Append(StreamKeys.Alarm(alarm.Key), alarm.Select(c => c.Event).ToArray());
        }

        return NullChangeListener.Instance;
    }

    private static void StoreChanged<T>(IDocumentOperations operations, ImmutableDictionary<string, T> before, ImmutableDictionary<string, T> after)
        where T : notnull
    {
        foreach (var (id, document) in after)
        {
            if (!before.TryGetValue(id, out var old) || !ReferenceEquals(old, document))
            {
                operations.Store(document);
            }
        }
    }
}
