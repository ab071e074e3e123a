namespace ChargeLedger.Telemetry;

/// <summary>A gateway that passed MQTT authentication: who it is and where it may publish.</summary>
public sealed record GatewayIdentity(string GatewayId, string StationId, string TopicPrefix);

/// <summary>One tag of a Neuron message: a number (booleans as 0/1), or the error code the gateway reported for it.</summary>
public sealed record NeuronTagValue(string Name, decimal? Value, int? ErrorCode);

/// <summary>
/// A Neuron/NeuronEX message (values-format or tags-format, DESIGN.md) parsed by the MQTT adapter, with where it came from.
/// (<see cref="GatewayId"/>, <see cref="Node"/>, <see cref="Group"/>, <see cref="Timestamp"/>) identifies it: a QoS 1
/// redelivery carries the same four and is recorded once.
/// </summary>
public sealed record NeuronMessage(
    string GatewayId,
    string Topic,
    string Node,
    string Group,
    DateTimeOffset Timestamp,
    IReadOnlyList<NeuronTagValue> Tags,
    DateTimeOffset ReceivedAt);

/// <summary>A payload that could not be recorded, with the reason (CONTRACT.md: GET /api/telemetry/dead-letters).</summary>
public sealed record RejectedTelemetry(string? GatewayId, string Topic, string Reason, string Payload, DateTimeOffset ReceivedAt);

public enum IngestOutcome
{
    /// <summary>Committed to the event store.</summary>
    Recorded,

    /// <summary>Seen before (QoS 1 redelivery); nothing new written.</summary>
    Duplicate,

    /// <summary>Nothing in it could be recorded (unknown node or tags, timestamp far off); kept as a dead letter.</summary>
    DeadLettered,
}

/// <summary>
/// The write side's entrance for station telemetry, used by the MQTT adapter (embedded broker or external broker client).
/// Every method returns only after what it decided is committed, so the adapter acknowledges a QoS 1 message (PUBACK)
/// only for telemetry that is durable; an exception means nothing was committed and the message must not be acknowledged.
/// </summary>
public interface ITelemetryIngress
{
    /// <summary>Checks an MQTT CONNECT's username and password; null when unknown or wrong.</summary>
    ValueTask<GatewayIdentity?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken);

    /// <summary>
    /// The gateway whose topic prefix the topic lies under (a whole-segment match), for messages taken from an external
    /// broker, where the publisher's MQTT username is not visible; null when no gateway owns it.
    /// </summary>
    ValueTask<GatewayIdentity?> GatewayForTopicAsync(string topic, CancellationToken cancellationToken);

    Task<IngestOutcome> IngestAsync(NeuronMessage message, CancellationToken cancellationToken);

    Task RejectAsync(RejectedTelemetry rejected, CancellationToken cancellationToken);
}
