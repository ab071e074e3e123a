using System.Collections.Immutable;

namespace ChargeLedger.Gateways;

public sealed record Gateway(string Id, string StationId, string TopicPrefix, long Version)
{
    public ImmutableList<DeviceMapping> Devices { get; init; } = [];

    public static Gateway Create(GatewayRegistered e) => new(e.GatewayId, e.StationId, e.TopicPrefix, 0);

    public Gateway Apply(GatewayDevicesMapped e) => this with { Devices = [.. e.Devices] };

    public static Gateway? Advance(Gateway? state, object @event)
    {
        var next = (state, @event) switch
        {
            (null, GatewayRegistered e) => Create(e),
            (null, _) => null,
            (_, GatewayDevicesMapped e) => state.Apply(e),
            _ => state,
        };
        return next is null ? null : next with { Version = (state?.Version ?? 0) + 1 };
    }

    public static Gateway? Fold(IEnumerable<object> events) => events.Aggregate((Gateway?)null, Advance);

    /// <summary>
    /// Whether <paramref name="topic"/> lies under <paramref name="prefix"/> by whole topic levels: "/neuron/GW-1" owns
    /// "/neuron/GW-1/modbus/grp" but not "/neuron/GW-10/modbus/grp" (MQTT 3.1.1 §4.7.1.1: '/' separates levels).
    /// </summary>
    public static bool OwnsTopic(string prefix, string topic) =>
        topic.StartsWith(prefix, StringComparison.Ordinal) && (topic.Length == prefix.Length || topic[prefix.Length] == '/');
}
