using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ChargeLedger.Simulator;

/// <summary>What a charge point answers to a CALL from the central system.</summary>
/// <param name="Response">The CALLRESULT payload; null answers CALLERROR NotImplemented.</param>
/// <param name="Then">Work to start once the CALLRESULT is on the wire (e.g. a triggered message).</param>
public sealed record ServerCallReply(JsonObject? Response, Func<Task>? Then = null);

public sealed class OcppCallErrorException(string action, string errorCode, string description)
    : Exception($"{action} answered CALLERROR {errorCode}: {description}")
{
    public string ErrorCode { get; } = errorCode;

    public string Description { get; } = description;
}

/// <summary>
/// OCPP-J 1.6 over one WebSocket: CALL <c>[2,id,action,payload]</c>, CALLRESULT <c>[3,id,payload]</c>,
/// CALLERROR <c>[4,id,code,description,details]</c> (OCPP-J 1.6 §4).
/// </summary>
public sealed class OcppConnection : IAsyncDisposable
{
    public const string SubProtocol = "ocpp1.6";

    private const int MaxMessageBytes = 1 << 20;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);
    private static readonly JsonSerializerOptions PayloadJson = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly ClientWebSocket _socket;
    private readonly Func<string, JsonElement, ServerCallReply> _onServerCall;
    private readonly Action<string> _log;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly CancellationTokenSource _closed = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    // OCPP-J 1.6 §4.1.1: a client may have only one CALL outstanding; the next waits for its CALLRESULT.
    private readonly SemaphoreSlim _callLock = new(1, 1);
    private long _lastMessageId;
    private volatile bool _closeRequested;
    private Task _receiveLoop = Task.CompletedTask;

    private OcppConnection(ClientWebSocket socket, Func<string, JsonElement, ServerCallReply> onServerCall, Action<string> log)
    {
        _socket = socket;
        _onServerCall = onServerCall;
        _log = log;
    }

    /// <summary>Completes when the socket is gone, whoever closed it.</summary>
    public Task WaitForCloseAsync(CancellationToken ct) => _receiveLoop.WaitAsync(ct);

    public bool IsOpen => !_closed.IsCancellationRequested;

    public static async Task<OcppConnection> ConnectAsync(
        Uri endpoint,
        string chargePointId,
        string password,
        Func<string, JsonElement, ServerCallReply> onServerCall,
        Action<string> log,
        CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        try
        {
            socket.Options.AddSubProtocol(SubProtocol);
            // Security profile 1: HTTP Basic at the handshake, username = charge point id (OCPP 1.6 Security Whitepaper, security profile 1).
            var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{chargePointId}:{password}"));
            socket.Options.SetRequestHeader("Authorization", $"Basic {credentials}");
            socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(30);
            socket.Options.CollectHttpResponseDetails = true;

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ConnectTimeout);
            try
            {
                await socket.ConnectAsync(endpoint, timeout.Token);
            }
            catch (WebSocketException) when (socket.HttpStatusCode != 0)
            {
                throw new WebSocketException($"handshake refused with HTTP {(int)socket.HttpStatusCode}");
            }

            if (socket.SubProtocol != SubProtocol)
            {
                throw new WebSocketException($"server selected subprotocol '{socket.SubProtocol}', expected '{SubProtocol}'");
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new OcppConnection(socket, onServerCall, log);
        connection._receiveLoop = connection.ReceiveLoopAsync();
        return connection;
    }

    public async Task<JsonElement> CallAsync(string action, object payload, CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _closed.Token);
        await _callLock.WaitAsync(linked.Token);
        // Message ids need only be unique per sender per connection, at most 36 chars (OCPP-J 1.6 §4, RPC framework).
        var id = Interlocked.Increment(ref _lastMessageId).ToString(CultureInfo.InvariantCulture);
        var result = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = result;
        try
        {
            await SendAsync(new JsonArray(2, id, action, JsonSerializer.SerializeToNode(payload, PayloadJson)), linked.Token);
            try
            {
                return await result.Task.WaitAsync(CallTimeout, linked.Token);
            }
            catch (OcppCallErrorException ex)
            {
                throw new OcppCallErrorException(action, ex.ErrorCode, ex.Description);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new WebSocketException($"connection closed while waiting for the {action} CALLRESULT");
            }
        }
        finally
        {
            _pending.TryRemove(id, out _);
            _callLock.Release();
        }
    }

    public async Task CloseAsync(CancellationToken ct)
    {
        _closeRequested = true;
        if (_socket.State == WebSocketState.Open)
        {
            await _sendLock.WaitAsync(ct);
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "simulator stopping", ct);
            }
            finally
            {
                _sendLock.Release();
            }
        }

        await _receiveLoop.WaitAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _closed.CancelAsync();
        await _receiveLoop.ContinueWith(static _ => { }, TaskScheduler.Default);
        _socket.Dispose();
        _closed.Dispose();
        _sendLock.Dispose();
        _callLock.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var message = new ArrayBufferWriter<byte>(16 * 1024);
        try
        {
            while (true)
            {
                message.ResetWrittenCount();
                ValueWebSocketReceiveResult received;
                do
                {
                    received = await _socket.ReceiveAsync(message.GetMemory(4096), _closed.Token);
                    message.Advance(received.Count);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        if (!_closeRequested)
                        {
                            _log($"server closed the connection ({_socket.CloseStatus} {_socket.CloseStatusDescription})".TrimEnd());
                            await AcknowledgeCloseAsync();
                        }

                        return;
                    }

                    if (message.WrittenCount > MaxMessageBytes)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "message too big", CancellationToken.None);
                        return;
                    }
                }
                while (!received.EndOfMessage);

                await DispatchAsync(message.WrittenMemory);
            }
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
        }
        catch (WebSocketException ex)
        {
            _log($"connection lost: {ex.Message}");
        }
        finally
        {
            await _closed.CancelAsync();
            foreach (var pending in _pending.Values)
            {
                pending.TrySetException(new WebSocketException("connection closed"));
            }
        }
    }

    // RFC 6455 §5.5.1: answer the server's Close frame so the TCP connection ends cleanly.
    private async Task AcknowledgeCloseAsync()
    {
        await _sendLock.WaitAsync();
        try
        {
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        }
        catch (WebSocketException)
        {
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task DispatchAsync(ReadOnlyMemory<byte> utf8)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8);
        }
        catch (JsonException ex)
        {
            _log($"ignored a frame that is not JSON: {ex.Message}");
            return;
        }

        using (document)
        {
            var frame = document.RootElement;
            if (frame.ValueKind != JsonValueKind.Array || frame.GetArrayLength() < 3
                || frame[0].ValueKind != JsonValueKind.Number || frame[1].ValueKind != JsonValueKind.String)
            {
                _log($"ignored a malformed frame: {Encoding.UTF8.GetString(utf8.Span)}");
                return;
            }

            var id = frame[1].GetString()!;
            switch (frame[0].GetInt32())
            {
                case 2 when frame.GetArrayLength() == 4 && frame[2].ValueKind == JsonValueKind.String:
                    await AnswerServerCallAsync(id, frame[2].GetString()!, frame[3].Clone());
                    break;
                case 3 when _pending.TryGetValue(id, out var call):
                    call.TrySetResult(frame[2].Clone());
                    break;
                case 4 when _pending.TryGetValue(id, out var call):
                    var description = frame.GetArrayLength() > 3 ? frame[3].ToString() : "";
                    call.TrySetException(new OcppCallErrorException("call", frame[2].ToString(), description));
                    break;
                case 3 or 4:
                    _log($"ignored a late or unknown reply to message {id}");
                    break;
                default:
                    _log($"ignored a malformed frame: {Encoding.UTF8.GetString(utf8.Span)}");
                    break;
            }
        }
    }

    private async Task AnswerServerCallAsync(string id, string action, JsonElement payload)
    {
        var reply = _onServerCall(action, payload);
        var frame = reply.Response is { } response
            ? new JsonArray(3, id, response)
            : new JsonArray(4, id, "NotImplemented", $"{action} is not supported by the simulator", new JsonObject());
        await SendAsync(frame, _closed.Token);
        _log($"answered server {action}: {(reply.Response?["status"]?.ToString() ?? (reply.Response is null ? "NotImplemented" : "ok"))}");

        // Runs outside the receive loop: a follow-up CALL needs this loop to read its CALLRESULT.
        if (reply.Then is { } then)
        {
            _ = Task.Run(then);
        }
    }

    private async Task SendAsync(JsonArray frame, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(frame.ToJsonString());
        await _sendLock.WaitAsync(ct);
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, ct);
        }
        finally
        {
            _sendLock.Release();
        }
    }
}
