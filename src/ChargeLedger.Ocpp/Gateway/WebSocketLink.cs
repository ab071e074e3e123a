using System.Buffers;
using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using System.Text.Json;
using ChargeLedger.Ocpp.Framing;
using Microsoft.Extensions.Logging;

namespace ChargeLedger.Ocpp.Gateway;

/// <summary>
/// A charge point's own OCPP-J WebSocket: text frames in and out, the size cap (1009), binary frames refused (1003),
/// bad frames counted (1002 after too many in a row) and an idle timeout that closes with a proper Close frame.
/// </summary>
public sealed class WebSocketLink(WebSocket socket, OcppOptions options, TimeProvider time, ILogger logger) : IOcppLink, IDisposable
{
    private static readonly Meter Meter = new("ChargeLedger.Ocpp");
    private static readonly Counter<long> BadFrames = Meter.CreateCounter<long>("chargeledger.ocpp.bad_frames");

    /// <summary>Most OCPP 1.6 messages fit; a larger one (a long MeterValues) grows the buffer up to MaxMessageBytes.</summary>
    private const int InitialBufferBytes = 4096;

    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ArrayBufferWriter<byte> _output = new(512); // used under _sendLock only
    private byte[] _receiveBuffer = [];

    public bool IsOpen => socket.State == WebSocketState.Open;

    public bool Redelivers => false;

    public ValueTask SendResultAsync(string messageId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        SendAsync(static (output, state) => OcppJ.WriteCallResult(output, state.messageId, state.payload.Span), (messageId, payload), cancellationToken);

    public ValueTask SendErrorAsync(string messageId, string errorCode, string errorDescription, CancellationToken cancellationToken) =>
        SendAsync(static (output, state) => OcppJ.WriteCallError(output, state.messageId, state.errorCode, state.errorDescription),
            (messageId, errorCode, errorDescription), cancellationToken);

    public ValueTask SendCallAsync(string messageId, string action, JsonElement payload, CancellationToken cancellationToken) =>
        SendAsync(static (output, state) => OcppJ.WriteCall(output, state.messageId, state.action, state.payload), (messageId, action, payload),
            cancellationToken);

    public async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _sendLock.WaitAsync(timeout.Token);
                try
                {
                    await socket.CloseOutputAsync(status, reason, timeout.Token);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            logger.LogDebug(ex, "Closing the socket did not complete cleanly");
        }
    }

    /// <summary>Reads frames until the socket closes and hands each well-formed one to <paramref name="connection"/>.</summary>
    public async Task ReceiveAsync(ChargePointConnection connection, CancellationToken cancellationToken)
    {
        var consecutiveBad = 0;
        // Idle sockets are closed with a Close frame (so the charge point learns why), not by aborting the receive.
        using var idle = time.CreateTimer(_ => _ = CloseIdleAsync(connection), null, options.IdleTimeout, Timeout.InfiniteTimeSpan);
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                idle.Change(options.IdleTimeout, Timeout.InfiniteTimeSpan);
                var (length, type) = await ReadMessageAsync(cancellationToken);
                try
                {
                    if (type == WebSocketMessageType.Close || socket.State != WebSocketState.Open)
                    {
                        return; // after our own Close frame nothing more is processed
                    }

                    connection.Heard();
                    if (type == WebSocketMessageType.Binary)
                    {
                        // OCPP-J 1.6 §3.1: messages are text frames; RFC 6455 §7.4.1 code 1003 for data we cannot accept.
                        BadFrames.Add(1);
                        await connection.CloseAsync(WebSocketCloseStatus.InvalidMessageType, "OCPP-J uses text frames only");
                        return;
                    }

                    if (length < 0)
                    {
                        await connection.CloseAsync(WebSocketCloseStatus.MessageTooBig, $"Messages are limited to {options.MaxMessageBytes} bytes");
                        return;
                    }

                    // The frame's payload is copied out (OcppFrame), so the buffer goes back to the pool right after.
                    var frame = OcppJ.Parse(_receiveBuffer.AsMemory(0, length));
                    if (frame is OcppBadFrame bad)
                    {
                        BadFrames.Add(1);
                        logger.LogInformation("Bad frame from {ChargePointId}: {Code} {Description}", connection.ChargePointId, bad.ErrorCode, bad.Description);
                        if (bad.MessageId is not null)
                        {
                            await SendErrorAsync(bad.MessageId, bad.ErrorCode, bad.Description, cancellationToken);
                        }

                        if (++consecutiveBad >= options.MaxConsecutiveBadFrames)
                        {
                            await connection.CloseAsync(WebSocketCloseStatus.ProtocolError, "Too many malformed messages");
                            return;
                        }

                        continue;
                    }

                    consecutiveBad = 0;
                    await connection.RouteAsync(frame, cancellationToken);
                }
                finally
                {
                    ReturnBuffer();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (WebSocketException ex)
        {
            connection.CloseReason = "Connection lost";
            logger.LogDebug(ex, "Connection of {ChargePointId} lost", connection.ChargePointId);
        }
        finally
        {
            ReturnBuffer();
        }
    }

    public void Dispose() => _sendLock.Dispose();

    private async Task CloseIdleAsync(ChargePointConnection connection)
    {
        logger.LogInformation("Closing idle connection of {ChargePointId} after {Idle}", connection.ChargePointId, options.IdleTimeout);
        await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, "Idle timeout");
    }

    /// <summary>
    /// Reads one whole message into a pooled buffer (<see cref="ReturnBuffer"/> gives it back); length -1 when it exceeds
    /// the configured maximum. The wait for the message is a zero-byte read, so an idle socket holds no receive buffer:
    /// that is what lets one node hold tens of thousands of charge points.
    /// </summary>
    private async Task<(int Length, WebSocketMessageType Type)> ReadMessageAsync(CancellationToken cancellationToken)
    {
        var first = await socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
        if (first.MessageType == WebSocketMessageType.Close)
        {
            return (0, WebSocketMessageType.Close);
        }

        if (first.EndOfMessage)
        {
            return (0, first.MessageType); // an empty message: nothing more to read
        }

        _receiveBuffer = ArrayPool<byte>.Shared.Rent(Math.Min(options.MaxMessageBytes, InitialBufferBytes));
        var length = 0;
        while (true)
        {
            var buffer = _receiveBuffer;
            if (length == buffer.Length)
            {
                if (buffer.Length >= options.MaxMessageBytes)
                {
                    return (-1, WebSocketMessageType.Text);
                }

                var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, options.MaxMessageBytes));
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                _receiveBuffer = buffer = larger;
            }

            var result = await socket.ReceiveAsync(buffer.AsMemory(length, Math.Min(buffer.Length, options.MaxMessageBytes) - length), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (0, WebSocketMessageType.Close);
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                return (length, result.MessageType);
            }

            if (length >= options.MaxMessageBytes)
            {
                return (-1, result.MessageType);
            }
        }
    }

    private void ReturnBuffer()
    {
        if (_receiveBuffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_receiveBuffer);
            _receiveBuffer = [];
        }
    }

    private async ValueTask SendAsync<TState>(Action<ArrayBufferWriter<byte>, TState> write, TState state, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                _output.ResetWrittenCount();
                write(_output, state);
                await socket.SendAsync(_output.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
        }
        catch (WebSocketException ex)
        {
            logger.LogDebug(ex, "Send failed");
        }
        finally
        {
            _sendLock.Release();
        }
    }
}
