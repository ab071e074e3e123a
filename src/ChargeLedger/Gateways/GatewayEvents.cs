namespace ChargeLedger.Gateways;

// Stream: gateway:{gatewayId}. The gateway's password hash is a GatewayCredential document, never an event.

/// <summary>
/// A station gateway (Neuron/NeuronEX edge box) allowed to publish telemetry over MQTT as user <paramref name="GatewayId"/>,
/// only under <paramref name="TopicPrefix"/> (CONTRACT.md MQTT).
/// </summary>
public sealed record GatewayRegistered(string GatewayId, string StationId, string TopicPrefix, DateTimeOffset RegisteredAt);

/// <summary>The gateway's whole device map, replacing the previous one (PUT semantics): which node/tag is which device and measurand.</summary>
public sealed record GatewayDevicesMapped(string GatewayId, IReadOnlyList<DeviceMapping> Devices, string MappedBy, DateTimeOffset MappedAt);

/// <summary>
/// One Neuron tag of one node: the value published is multiplied by <paramref name="Scale"/> to give <paramref name="Unit"/>.
/// <paramref name="Kind"/> is one of <see cref="DeviceKinds.All"/>.
/// </summary>
public sealed record DeviceMapping(string Node, string Tag, string DeviceId, string Kind, string Measurand, string Unit, decimal Scale);

public static class DeviceKinds
{
    public const string Meter = "meter";
    public static readonly IReadOnlyList<string> All = [Meter, "transformer", "cabinet", "sensor", "lighting", "barrier", "other"];
}
