using System.Collections.Immutable;
using System.Globalization;
using ChargeLedger.ChargePoints;
using ChargeLedger.Telemetry;

namespace ChargeLedger.Alarms;

/// <summary>An event the evaluator reads, with its global sequence (the only "position" it knows).</summary>
public sealed record AlarmTrigger(long Sequence, object Data);

/// <summary>An alarm event to append to stream alarm:{AlarmId}.</summary>
public sealed record AlarmChange(string AlarmId, object Event);

/// <summary>
/// What the evaluator knows: the rules and the documents of the charge points and devices it has seen. The subscription
/// loads only the entries a page of events touches; the evaluator treats a missing entry as never seen.
/// </summary>
public sealed record AlarmState(
    AlarmRuleBook Rules,
    ImmutableDictionary<string, ChargePointAlarmState> ChargePoints,
    ImmutableDictionary<string, DeviceAlarmState> Devices)
{
    public static readonly AlarmState Empty = new(new AlarmRuleBook(), ImmutableDictionary<string, ChargePointAlarmState>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableDictionary<string, DeviceAlarmState>.Empty.WithComparers(StringComparer.Ordinal));
}

public sealed record AlarmEvaluation(AlarmState State, IReadOnlyList<AlarmChange> Changes);

/// <summary>
/// Alarm evaluation (issue 4, Alarms) as a pure fold: state + event → new state + alarm events. Every time it writes
/// comes from the event's data (device, gateway or connectivity time), never from a clock, and alarm ids come from the
/// triggering event's sequence, so the same events always give the same alarms. The rules it applies are the ones
/// defined before each event in the store's order. See README "Alarms" for the raise and clear rules.
/// </summary>
public static class AlarmEvaluator
{
    public const int RepeatedFaultThreshold = 3;
    public static readonly TimeSpan RepeatedFaultWindow = TimeSpan.FromHours(24);

    /// <summary>The event types evaluation reads (the subscription loads exactly these).</summary>
    public static readonly IReadOnlyList<Type> EventTypes =
    [
        typeof(AlarmRuleDefined), typeof(ChargePointRegistered), typeof(ChargePointConnected), typeof(ChargePointConnectionReplaced),
        typeof(ChargePointDisconnected), typeof(ChargePointWentSilent), typeof(ChargePointHeardAgain), typeof(ConnectorStatusChanged),
        typeof(TelemetryRecorded),
    ];

    public static AlarmEvaluation Evaluate(AlarmState state, IEnumerable<AlarmTrigger> triggers)
    {
        var changes = new List<AlarmChange>();
        foreach (var trigger in triggers)
        {
            state = Decide(state, trigger, changes);
        }

        return new AlarmEvaluation(state, changes);
    }

    /// <summary>The charge point whose state entry <paramref name="data"/> reads and writes.</summary>
    public static string? ChargePointOf(object data) => data switch
    {
        ChargePointRegistered e => e.ChargePointId,
        ChargePointConnected e => e.ChargePointId,
        ChargePointConnectionReplaced e => e.ChargePointId,
        ChargePointDisconnected e => e.ChargePointId,
        ChargePointWentSilent e => e.ChargePointId,
        ChargePointHeardAgain e => e.ChargePointId,
        ConnectorStatusChanged e => e.ChargePointId,
        _ => null,
    };

    private static AlarmState Decide(AlarmState state, AlarmTrigger trigger, List<AlarmChange> changes)
    {
        if (trigger.Data is AlarmRuleDefined rule)
        {
            if (trigger.Sequence <= state.Rules.LastSequence)
            {
                return state;
            }

            var rules = state.Rules.Rules.Where(r => r.RuleId != rule.RuleId).Append(AlarmRule.From(rule)).OrderBy(r => r.RuleId, StringComparer.Ordinal);
            return state with { Rules = state.Rules with { Rules = [.. rules], LastSequence = trigger.Sequence } };
        }

        if (ChargePointOf(trigger.Data) is { } chargePointId)
        {
            var before = state.ChargePoints.GetValueOrDefault(chargePointId) ?? new ChargePointAlarmState { Id = chargePointId };
            if (trigger.Sequence <= before.LastSequence)
            {
                return state;
            }

            var after = ChargePoint(before, trigger, changes) with { LastSequence = trigger.Sequence };
            return state with { ChargePoints = state.ChargePoints.SetItem(chargePointId, after) };
        }

        // Most telemetry (meters) has no rule: it is not even remembered, which keeps the subscription's writes to the
        // devices rules actually watch.
        if (trigger.Data is TelemetryRecorded telemetry && state.Rules.Rules.Any(r => IsWatched(r, telemetry.Kind)))
        {
            var before = state.Devices.GetValueOrDefault(telemetry.DeviceId) ?? new DeviceAlarmState { Id = telemetry.DeviceId };
            if (trigger.Sequence <= before.LastSequence)
            {
                return state;
            }

            var after = Device(before, telemetry, trigger.Sequence, state.Rules.Rules, changes) with { LastSequence = trigger.Sequence };
            return state with { Devices = state.Devices.SetItem(telemetry.DeviceId, after) };
        }

        return state;
    }

    private static ChargePointAlarmState ChargePoint(ChargePointAlarmState cp, AlarmTrigger trigger, List<AlarmChange> changes)
    {
        var sequence = trigger.Sequence;
        switch (trigger.Data)
        {
            case ChargePointRegistered e:
                return cp with { StationId = e.StationId };

            case ChargePointConnected e:
                return Online(cp, e.ConnectionId, e.ConnectedAt, "reconnected", sequence, changes);

            case ChargePointConnectionReplaced e:
                return Online(cp, e.NewConnectionId, e.ReplacedAt, "reconnected", sequence, changes);

            case ChargePointDisconnected e when cp.ConnectionId is null || cp.ConnectionId == e.ConnectionId:
            {
                // Offline takes over from silent: the silence ends with the connection.
                cp = ClearSilent(cp, e.DisconnectedAt, "disconnected", sequence, changes) with { ConnectionId = null };
                if (cp.OfflineAlarmId is not null)
                {
                    return cp;
                }

                var id = AlarmIds.ForChargePoint(AlarmKinds.ChargePointOffline, cp.Id, sequence);
                changes.Add(new AlarmChange(id, new AlarmRaised(id, AlarmIds.ChargePointSource(cp.Id), AlarmKinds.ChargePointOffline, AlarmSeverities.Major,
                    e.DisconnectedAt, Detail(("reason", e.Reason)), cp.StationId, cp.Id, null, null, null, sequence)));
                return cp with { OfflineAlarmId = id };
            }

            case ChargePointWentSilent e when cp.SilentAlarmId is null && cp.OfflineAlarmId is null
                                                && (cp.ConnectionId is null || cp.ConnectionId == e.ConnectionId):
            {
                var id = AlarmIds.ForChargePoint(AlarmKinds.ChargePointSilent, cp.Id, sequence);
                changes.Add(new AlarmChange(id, new AlarmRaised(id, AlarmIds.ChargePointSource(cp.Id), AlarmKinds.ChargePointSilent, AlarmSeverities.Minor,
                    e.DetectedAt, Detail(("lastHeardAt", Iso(e.LastHeardAt))), cp.StationId, cp.Id, null, null, null, sequence)));
                return cp with { SilentAlarmId = id };
            }

            case ChargePointHeardAgain e:
                return ClearSilent(cp, e.HeardAt, "heard_again", sequence, changes);

            case ConnectorStatusChanged e:
            {
                var connector = cp.Connectors.FirstOrDefault(c => c.ConnectorId == e.ConnectorId) ?? new ConnectorAlarmState { ConnectorId = e.ConnectorId };
                var next = Connector(cp, connector, e, sequence, changes);
                return cp with
                {
                    Connectors = [.. cp.Connectors.Where(c => c.ConnectorId != e.ConnectorId).Append(next).OrderBy(c => c.ConnectorId)],
                };
            }

            default:
                return cp;
        }
    }

    private static ChargePointAlarmState Online(ChargePointAlarmState cp, string connectionId, DateTimeOffset at, string reason, long sequence,
        List<AlarmChange> changes)
    {
        cp = ClearSilent(cp, at, reason, sequence, changes) with { ConnectionId = connectionId };
        if (cp.OfflineAlarmId is { } offline)
        {
            changes.Add(new AlarmChange(offline, new AlarmCleared(offline, at, reason, sequence)));
            cp = cp with { OfflineAlarmId = null };
        }

        return cp;
    }

    private static ChargePointAlarmState ClearSilent(ChargePointAlarmState cp, DateTimeOffset at, string reason, long sequence, List<AlarmChange> changes)
    {
        if (cp.SilentAlarmId is not { } silent)
        {
            return cp;
        }

        changes.Add(new AlarmChange(silent, new AlarmCleared(silent, at, reason, sequence)));
        return cp with { SilentAlarmId = null };
    }

    private static ConnectorAlarmState Connector(ChargePointAlarmState cp, ConnectorAlarmState connector, ConnectorStatusChanged e, long sequence,
        List<AlarmChange> changes)
    {
        var faulted = e.Status == ConnectorStatus.Faulted;
        var newFault = faulted && connector.LastStatus != nameof(ConnectorStatus.Faulted);
        var source = AlarmIds.ConnectorSource(cp.Id, e.ConnectorId);

        // The fault window is device time; a report dated before the window's newest fault does not empty it.
        var windowStart = e.StatusAt - RepeatedFaultWindow;
        var recent = connector.RecentFaults.Where(t => t > windowStart).ToList();
        if (newFault)
        {
            recent.Add(e.StatusAt);
            recent.Sort();
        }

        connector = connector with { LastStatus = e.Status.ToString(), RecentFaults = recent };

        if (newFault && connector.FaultAlarmId is null)
        {
            var id = AlarmIds.ForConnector(AlarmKinds.ConnectorFaulted, cp.Id, e.ConnectorId, sequence);
            changes.Add(new AlarmChange(id, new AlarmRaised(id, source, AlarmKinds.ConnectorFaulted, AlarmSeverities.Major, e.StatusAt,
                Detail(("errorCode", e.ErrorCode), ("vendorId", e.VendorId), ("vendorErrorCode", e.VendorErrorCode), ("info", e.Info)),
                cp.StationId, cp.Id, e.ConnectorId, null, null, sequence)));
            connector = connector with { FaultAlarmId = id };
        }
        else if (!faulted && connector.FaultAlarmId is { } fault)
        {
            changes.Add(new AlarmChange(fault, new AlarmCleared(fault, e.StatusAt, "status_" + e.Status.ToString(), sequence)));
            connector = connector with { FaultAlarmId = null };
        }

        if (connector.RepeatedFaultsAlarmId is { } repeated && recent.Count == 0)
        {
            // Cleared by the first report showing 24 h of device time without a fault on the connector.
            changes.Add(new AlarmChange(repeated, new AlarmCleared(repeated, e.StatusAt, "no_faults_in_24h", sequence)));
            connector = connector with { RepeatedFaultsAlarmId = null };
        }
        else if (newFault && connector.RepeatedFaultsAlarmId is null && recent.Count >= RepeatedFaultThreshold)
        {
            var id = AlarmIds.ForConnector(AlarmKinds.RepeatedFaults, cp.Id, e.ConnectorId, sequence);
            changes.Add(new AlarmChange(id, new AlarmRaised(id, source, AlarmKinds.RepeatedFaults, AlarmSeverities.Minor, e.StatusAt,
                Detail(("faults", recent.Count.ToString(CultureInfo.InvariantCulture)), ("firstFaultAt", Iso(recent[0])), ("windowHours", "24")),
                cp.StationId, cp.Id, e.ConnectorId, null, null, sequence)));
            connector = connector with { RepeatedFaultsAlarmId = id };
        }

        return connector;
    }

    private static DeviceAlarmState Device(DeviceAlarmState device, TelemetryRecorded e, long sequence, IReadOnlyList<AlarmRule> rules,
        List<AlarmChange> changes)
    {
        // "Continuously" is judged on the gateway's clock, so a message older than one already taken in is ignored.
        if (device.LastMeasuredAt is { } last && e.MeasuredAt < last)
        {
            return device;
        }

        var watches = device.Watches.ToDictionary(w => w.RuleId, StringComparer.Ordinal);
        foreach (var rule in rules.Where(r => IsWatched(r, e.Kind)))
        {
            foreach (var sample in e.Samples.Where(s => string.Equals(s.Measurand, rule.Measurand, StringComparison.OrdinalIgnoreCase)))
            {
                // A sample with an error code and no value is no evidence either way.
                if (sample.Value is not { } value)
                {
                    continue;
                }

                var watch = watches.GetValueOrDefault(rule.RuleId) is { } w
                    ? w.RuleVersion == rule.Version ? w : w with { RuleVersion = rule.Version, HoldingSince = null }
                    : new ThresholdWatch(rule.RuleId, rule.Version, null, null);
                watches[rule.RuleId] = Sample(watch, rule, device.Id, e, sample, value, sequence, changes);
            }
        }

        return device with
        {
            LastMeasuredAt = e.MeasuredAt,
            Watches = [.. watches.Values.OrderBy(w => w.RuleId, StringComparer.Ordinal)],
        };
    }

    private static ThresholdWatch Sample(ThresholdWatch watch, AlarmRule rule, string deviceId, TelemetryRecorded e, TelemetrySample sample,
        decimal value, long sequence, List<AlarmChange> changes)
    {
        if (!Comparators.Holds(rule.Comparator, value, rule.Threshold))
        {
            if (watch.AlarmId is { } active)
            {
                changes.Add(new AlarmChange(active, new AlarmCleared(active, e.MeasuredAt, "condition_ended", sequence)));
            }

            return watch with { HoldingSince = null, AlarmId = null };
        }

        var since = watch.HoldingSince ?? e.MeasuredAt;
        watch = watch with { HoldingSince = since };
        if (watch.AlarmId is not null || e.MeasuredAt - since < TimeSpan.FromSeconds(rule.ForSeconds))
        {
            return watch;
        }

        var id = AlarmIds.ForDevice(rule.RuleId, deviceId, sequence);
        changes.Add(new AlarmChange(id, new AlarmRaised(id, AlarmIds.DeviceSource(deviceId), AlarmKinds.TelemetryThreshold, rule.Severity, e.MeasuredAt,
            Detail(("ruleId", rule.RuleId), ("ruleVersion", rule.Version.ToString(CultureInfo.InvariantCulture)), ("deviceKind", e.Kind),
                ("measurand", sample.Measurand), ("comparator", rule.Comparator), ("threshold", rule.Threshold.ToString(CultureInfo.InvariantCulture)),
                ("value", value.ToString(CultureInfo.InvariantCulture)), ("unit", sample.Unit), ("forSeconds", rule.ForSeconds.ToString(CultureInfo.InvariantCulture)),
                ("holdingSince", Iso(since))),
            e.StationId, null, null, deviceId, rule.RuleId, sequence)));
        return watch with { AlarmId = id };
    }

    /// <summary>Whether <paramref name="rule"/> watches devices of <paramref name="deviceKind"/>.</summary>
    public static bool IsWatched(AlarmRule rule, string deviceKind) => string.Equals(rule.Kind, deviceKind, StringComparison.OrdinalIgnoreCase);

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    /// <summary>Ordered keys with the null values left out, so the same inputs always serialise the same.</summary>
    private static SortedDictionary<string, string> Detail(params (string Key, string? Value)[] entries)
    {
        var detail = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in entries)
        {
            if (value is not null)
            {
                detail[key] = value;
            }
        }

        return detail;
    }
}
