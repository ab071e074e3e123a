namespace ChargeLedger.Alarms;

// The alarm evaluator's memory, kept as Marten documents that AlarmSubscription writes in the same transaction as its
// progress. Each document remembers the last event sequence it has taken in (LastSequence), so an event delivered again
// (a subscription rewound without its state being cleared) changes nothing and raises nothing twice.

/// <summary>A rule as the evaluator uses it (the latest definition of its id).</summary>
public sealed record AlarmRule(string RuleId, string Kind, string Measurand, string Comparator, decimal Threshold, int ForSeconds, string Severity,
    int Version)
{
    public static AlarmRule From(AlarmRuleDefined e) =>
        new(e.RuleId, e.Kind, e.Measurand, e.Comparator, e.Threshold, e.ForSeconds, e.Severity, e.Version);
}

/// <summary>Every threshold rule in force; one document (rules are few and every telemetry event needs them all).</summary>
public sealed record AlarmRuleBook
{
    public const string DocumentId = "alarm-rules";

    public string Id { get; init; } = DocumentId;

    public long LastSequence { get; init; }

    public IReadOnlyList<AlarmRule> Rules { get; init; } = [];
}

public sealed record ConnectorAlarmState
{
    public int ConnectorId { get; init; }

    /// <summary>The last status reported (null before the first); a Faulted report after a Faulted one is no new fault.</summary>
    public string? LastStatus { get; init; }

    public string? FaultAlarmId { get; init; }

    public string? RepeatedFaultsAlarmId { get; init; }

    /// <summary>Device times of the faults (transitions into Faulted) of the last 24 h, oldest first.</summary>
    public IReadOnlyList<DateTimeOffset> RecentFaults { get; init; } = [];
}

/// <summary>Per charge point: its station, its current connection and its active connectivity and connector alarms.</summary>
public sealed record ChargePointAlarmState
{
    public string Id { get; init; } = "";

    public string? StationId { get; init; }

    public long LastSequence { get; init; }

    public string? ConnectionId { get; init; }

    public string? OfflineAlarmId { get; init; }

    public string? SilentAlarmId { get; init; }

    public IReadOnlyList<ConnectorAlarmState> Connectors { get; init; } = [];
}

/// <summary>One rule's watch over one device: since when the condition has held without a break, and its active alarm.</summary>
public sealed record ThresholdWatch(string RuleId, int RuleVersion, DateTimeOffset? HoldingSince, string? AlarmId);

/// <summary>Per telemetry device: the gateway time of its newest sample taken in and a watch per matching rule.</summary>
public sealed record DeviceAlarmState
{
    public string Id { get; init; } = "";

    public long LastSequence { get; init; }

    public DateTimeOffset? LastMeasuredAt { get; init; }

    public IReadOnlyList<ThresholdWatch> Watches { get; init; } = [];
}
