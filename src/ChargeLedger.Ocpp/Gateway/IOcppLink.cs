using System.Net.WebSockets;
using System.Text.Json;

namespace ChargeLedger.Ocpp.Gateway;

/// <summary>
/// The wire under one charge point's <see cref="ChargePointConnection"/>: a WebSocket of its own (<see cref="WebSocketLink"/>),
/// or EMQX's OCPP gateway over MQTT (the OCPP bridge). The connection decides what to send; the link only frames it.
/// </summary>
public interface IOcppLink
{
    bool IsOpen { get; }

    /// <summary>
    /// True when the transport may deliver a CALL again (MQTT QoS 1 after a reconnect): a repeated UniqueId is then
    /// answered as before, never as a protocol fault (OCPP-J 1.6 §4.1.4 assumes one reliable stream per connection).
    /// </summary>
    bool Redelivers { get; }

    ValueTask SendResultAsync(string messageId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

    ValueTask SendErrorAsync(string messageId, string errorCode, string errorDescription, CancellationToken cancellationToken);

    ValueTask SendCallAsync(string messageId, string action, JsonElement payload, CancellationToken cancellationToken);

    /// <summary>Ends the link from our side; <paramref name="status"/> is what a WebSocket peer is told.</summary>
    Task CloseAsync(WebSocketCloseStatus status, string reason);
}
