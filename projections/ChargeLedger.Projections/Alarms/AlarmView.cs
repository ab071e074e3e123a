namespace ChargeLedger.Projections.Alarms;

/// <summary>One alarm as operators see it (GET /api/alarms); Id is the alarm's stream key, alarm:{alarmId}.</summary>
public sealed class AlarmView
{
    public string Id { get; set; } = "";
    public string AlarmId { get; set; } = "";
    public string Source { get; set; } = "";
    public string Kind { get; set; } = "";
    public string Severity { get; set; } = "";
    public DateTimeOffset RaisedAt { get; set; }
    public long RaisedSequence { get; set; }
    public Dictionary<string, string> Detail { get; set; } = [];
    public string? StationId { get; set; }
    public string? ChargePointId { get; set; }
    public int? ConnectorId { get; set; }
    public string? DeviceId { get; set; }
    public string? RuleId { get; set; }

    /// <summary>True until cleared; kept as a field so "active" is one indexed comparison.</summary>
    public bool Active { get; set; }

    public DateTimeOffset? ClearedAt { get; set; }
    public string? ClearReason { get; set; }
    public DateTimeOffset? AcknowledgedAt { get; set; }
    public string? AcknowledgedBy { get; set; }
    public string? AcknowledgementNote { get; set; }
}
