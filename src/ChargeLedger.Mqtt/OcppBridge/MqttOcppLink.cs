using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using ChargeLedger.Ocpp.Framing;
using ChargeLedger.Ocpp.Gateway;

namespace ChargeLedger.Mqtt.OcppBridge;

/// <summary>What the bridge hands one charge point's session: a frame, or news of its connection from EMQX.</summary>
internal abstract record BridgeInput;

internal sealed record BridgeFrame(OcppFrame Frame) : BridgeInput;

/// <summary>
/// EMQX reported the charge point's connection gone; <paramref name="Superseded"/> when a newer connection took over,
/// which that connection records (ChargePointConnectionReplaced), so this session ends without a disconnect of its own.
/// </summary>
internal sealed record BridgeDisconnected(string Reason, bool Superseded = false) : BridgeInput;

/// <summary>
/// One charge point behind EMQX's OCPP gateway, seen as an <see cref="IOcppLink"/>: what we send is published on
/// <c>{mountpoint}cs/{id}</c> in EMQX's envelope; what arrives is posted by the bridge and read by the session's loop.
/// MQTT QoS 1 may deliver a CALL twice, so the link <see cref="Redelivers"/>.
/// </summary>
internal sealed class MqttOcppLink(string topic, Func<string, byte[], CancellationToken, Task> publish) : IOcppLink
{
    private readonly Channel<BridgeInput> _inbound = Channel.CreateUnbounded<BridgeInput>(new UnboundedChannelOptions { SingleReader = true });
    private volatile bool _closed;

    public bool IsOpen => !_closed;

    public bool Redelivers => true;

    /// <summary>
    /// False once the session has ended (its loop reads no more). What slips in while it ends is lost, and the charge
    /// point, unanswered, sends its CALL again.
    /// </summary>
    public bool Post(BridgeInput input) => !_closed && _inbound.Writer.TryWrite(input);

    /// <summary>What was posted and not read, once the link is closed.</summary>
    public IAsyncEnumerable<BridgeInput> Drain() => _inbound.Reader.ReadAllAsync();

    public ValueTask SendResultAsync(string messageId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        new(publish(topic, EmqxOcppFrames.Result(messageId, payload), cancellationToken));

    public ValueTask SendErrorAsync(string messageId, string errorCode, string errorDescription, CancellationToken cancellationToken) =>
        new(publish(topic, EmqxOcppFrames.Error(messageId, errorCode, errorDescription), cancellationToken));

    public ValueTask SendCallAsync(string messageId, string action, JsonElement payload, CancellationToken cancellationToken) =>
        new(publish(topic, EmqxOcppFrames.Call(messageId, action, payload), cancellationToken));

    /// <summary>Nothing to tell the charge point (EMQX holds its socket); the session's loop ends.</summary>
    public Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        _closed = true;
        _inbound.Writer.TryComplete();
        return Task.CompletedTask;
    }

    /// <summary>
    /// The session's loop: frames go to <paramref name="connection"/>; a disconnect is recorded by
    /// <paramref name="disconnected"/> and ends the loop, as does <see cref="CloseAsync"/>.
    /// </summary>
    public async Task ReceiveAsync(ChargePointConnection connection, Func<BridgeDisconnected, Task> disconnected, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var input in _inbound.Reader.ReadAllAsync(cancellationToken))
            {
                switch (input)
                {
                    case BridgeFrame { Frame: var frame }:
                        connection.Heard();
                        await connection.RouteAsync(frame, cancellationToken);
                        break;
                    case BridgeDisconnected gone:
                        _closed = true;
                        connection.CloseReason = gone.Reason;
                        if (!gone.Superseded)
                        {
                            await disconnected(gone);
                        }

                        return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _closed = true;
            _inbound.Writer.TryComplete();
        }
    }
}
