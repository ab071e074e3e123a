namespace ChargeLedger.Alarms;

// Streams: alarm:{alarmId} (one per alarm: raised, acknowledged, cleared) and alarmrule:{ruleId} (each definition).
// Alarm ids are derived from the triggering event (AlarmIds), so evaluating the same events again names the same alarms.

/// <summary>
/// A condition started (issue 4, Alarms). <paramref name="Source"/> is what it is about ("chargepoint:CP-1/connector:2",
/// "chargepoint:CP-1", "device:TR-1"); <paramref name="RaisedAt"/> comes from the triggering event (device, gateway or
/// connectivity time), never from the evaluator's clock; <paramref name="TriggerSequence"/> is that event's global sequence.
/// </summary>
public sealed record AlarmRaised(
    string AlarmId,
    string Source,
    string Kind,
    string Severity,
    DateTimeOffset RaisedAt,
    IReadOnlyDictionary<string, string> Detail,
    string? StationId,
    string? ChargePointId,
    int? ConnectorId,
    string? DeviceId,
    string? RuleId,
    long TriggerSequence);

/// <summary>An operator (by API key name) has seen the alarm; it stays active until cleared.</summary>
public sealed record AlarmAcknowledged(string AlarmId, string AcknowledgedBy, DateTimeOffset AcknowledgedAt, string? Note);

/// <summary>The condition ended; <paramref name="Reason"/> says which event ended it (see README "Alarms").</summary>
public sealed record AlarmCleared(string AlarmId, DateTimeOffset ClearedAt, string Reason, long TriggerSequence);

/// <summary>
/// A telemetry threshold rule, version <paramref name="Version"/>: an alarm of <paramref name="Severity"/> when every sample of
/// <paramref name="Measurand"/> from one device of <paramref name="Kind"/> holds "value <paramref name="Comparator"/>
/// <paramref name="Threshold"/>" for at least <paramref name="ForSeconds"/> of gateway time.
/// </summary>
public sealed record AlarmRuleDefined(
    string RuleId,
    string Kind,
    string Measurand,
    string Comparator,
    decimal Threshold,
    int ForSeconds,
    string Severity,
    int Version,
    string DefinedBy,
    DateTimeOffset DefinedAt);
