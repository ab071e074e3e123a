using System.Globalization;

namespace ChargeLedger.Alarms;

public static class AlarmKinds
{
    public const string ConnectorFaulted = "connector_faulted";
    public const string ChargePointOffline = "charge_point_offline";
    public const string ChargePointSilent = "charge_point_silent";
    public const string TelemetryThreshold = "telemetry_threshold";

    /// <summary>The predictive-maintenance hint: three or more faults on one connector within 24 h.</summary>
    public const string RepeatedFaults = "repeated_faults";

    public static readonly IReadOnlyList<string> All = [ConnectorFaulted, ChargePointOffline, ChargePointSilent, TelemetryThreshold, RepeatedFaults];
}

public static class AlarmSeverities
{
    public const string Minor = "minor";
    public const string Major = "major";
    public const string Critical = "critical";

    public static readonly IReadOnlyList<string> All = [Minor, Major, Critical];
}

/// <summary>The comparators a threshold rule may use (CONTRACT.md MQTT alarm rules).</summary>
public static class Comparators
{
    public static readonly IReadOnlyList<string> All = [">", ">=", "<", "<=", "==", "!="];

    public static bool Holds(string comparator, decimal value, decimal threshold) => comparator switch
    {
        ">" => value > threshold,
        ">=" => value >= threshold,
        "<" => value < threshold,
        "<=" => value <= threshold,
        "==" => value == threshold,
        "!=" => value != threshold,
        _ => throw new ArgumentOutOfRangeException(nameof(comparator), comparator, "Unknown comparator."),
    };
}

/// <summary>
/// Alarm ids and sources. An id is the kind, the source's own ids and the global sequence of the event that raised it:
/// unique (one event raises at most one alarm of a kind per source and rule), stable across a replay of the same events,
/// and made only of characters a URL path segment keeps as they are ([A-Za-z0-9._-]).
/// </summary>
public static class AlarmIds
{
    public static string ConnectorSource(string chargePointId, int connectorId) =>
        string.Create(CultureInfo.InvariantCulture, $"chargepoint:{chargePointId}/connector:{connectorId}");

    public static string ChargePointSource(string chargePointId) => "chargepoint:" + chargePointId;

    public static string DeviceSource(string deviceId) => "device:" + deviceId;

    public static string ForConnector(string kind, string chargePointId, int connectorId, long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"{kind}.{chargePointId}.{connectorId}.{sequence}");

    public static string ForChargePoint(string kind, string chargePointId, long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"{kind}.{chargePointId}.{sequence}");

    public static string ForDevice(string ruleId, string deviceId, long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"{AlarmKinds.TelemetryThreshold}.{ruleId}.{deviceId}.{sequence}");
}
