namespace ChargeLedger.Telemetry;

/// <summary>
/// Marks a gateway message as recorded, committed with its events: a QoS 1 redelivery (or a gateway resending after a
/// reconnect) carries the same key and fails the insert, so it is recorded once, across restarts and nodes
/// (DESIGN rule 2). Kept for <see cref="TelemetryOptions.MaxAgeHours"/>; anything older is refused as too old anyway.
/// </summary>
public sealed class TelemetryMessageKey
{
    /// <summary>"{gateway}/{node}/{group}/{timestamp in Unix ms}", lengths prefixed so no two messages can collide.</summary>
    public string Id { get; set; } = "";

    public DateTimeOffset MeasuredAt { get; set; }

    public static string For(NeuronMessage m) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{m.GatewayId.Length}:{m.GatewayId}/{m.Node.Length}:{m.Node}/{m.Group.Length}:{m.Group}/{m.Timestamp.ToUnixTimeMilliseconds()}");
}

/// <summary>A telemetry payload that could not be recorded, kept for operators (GET /api/telemetry/dead-letters).</summary>
public sealed class TelemetryDeadLetter
{
    public Guid Id { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
    public string? GatewayId { get; set; }
    public string Topic { get; set; } = "";
    public string Reason { get; set; } = "";
    public string Payload { get; set; } = "";
}

public sealed class TelemetryOptions
{
    public const string Section = "ChargeLedger:Telemetry";

    /// <summary>Oldest gateway timestamp accepted (a gateway flushing its offline cache sends old data); older is dead-lettered.</summary>
    public int MaxAgeHours { get; set; } = 168;

    /// <summary>Largest lead of a gateway timestamp over the server clock; more is a clock fault and dead-lettered.</summary>
    public int MaxFutureSeconds { get; set; } = 600;

    /// <summary>How long this node uses a gateway's account and device map before reading them again (changes made on this node apply at once).</summary>
    public int GatewayCacheSeconds { get; set; } = 5;

    /// <summary>Dead letters stored per gateway per minute; beyond that they are only counted, so a broken gateway cannot flood the database.</summary>
    public int DeadLettersPerMinute { get; set; } = 60;

    public int DeadLetterRetentionDays { get; set; } = 30;

    /// <summary>Largest payload kept in a dead letter (UTF-8 bytes); the rest is cut.</summary>
    public int DeadLetterPayloadBytes { get; set; } = 4096;
}
