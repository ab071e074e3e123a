using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using ChargeLedger.Ocpp.Schemas;

namespace ChargeLedger.IntegrationTests.Infrastructure;

/// <summary>The charge point answered a CALL with a CALLERROR (OCPP-J 1.6 §4.2.3).</summary>
public sealed class OcppCallErrorException(string messageId, string errorCode, string errorDescription)
    : Exception($"CALLERROR {errorCode} for {messageId}: {errorDescription}")
{
    public string MessageId { get; } = messageId;
    public string ErrorCode { get; } = errorCode;
    public string ErrorDescription { get; } = errorDescription;
}

/// <summary>What the server answered to a WebSocket upgrade request, read off the wire.</summary>
public sealed record HandshakeResponse(int StatusCode, IReadOnlyDictionary<string, string> Headers)
{
    public string? Header(string name) => Headers.GetValueOrDefault(name.ToLowerInvariant());
}

/// <summary>
/// A scriptable OCPP-J 1.6 charge point over <see cref="ClientWebSocket"/> (RELIABILITY §6.1 FakeChargePoint).
/// A receive loop matches CALLRESULT/CALLERROR frames to pending <see cref="CallAsync"/>s by message id, so CALLs can be
/// pipelined; every other inbound frame is queued for <see cref="ReceiveRawAsync"/> (raw mode). The server's close
/// status is kept in <see cref="CloseStatus"/>.
/// </summary>
public sealed class FakeChargePoint : IAsyncDisposable
{
    public const string Subprotocol = "ocpp1.6";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly ClientWebSocket _socket;
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly Channel<string> _inbound = Channel.CreateUnbounded<string>();
    private readonly TaskCompletionSource<WebSocketCloseStatus?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiveLoop;
    private long _nextId;

    private FakeChargePoint(string id, ClientWebSocket socket)
    {
        Id = id;
        _socket = socket;
        _receiveLoop = Task.Run(ReceiveLoopAsync);
    }

    public string Id { get; }

    /// <summary>The close status the server sent, once it closed the socket.</summary>
    public WebSocketCloseStatus? CloseStatus { get; private set; }

    public bool IsOpen => _socket.State == WebSocketState.Open && !_closed.Task.IsCompleted;

    /// <summary>Connects with HTTP Basic (username = charge point id) and subprotocol ocpp1.6; throws when refused.</summary>
    public static async Task<FakeChargePoint> ConnectAsync(Uri uri, string id, string password)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(Subprotocol);
        socket.Options.SetRequestHeader("Authorization", BasicAuthorization(id, password));
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        try
        {
            await socket.ConnectAsync(uri, timeout.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        socket.SubProtocol.ShouldBe(Subprotocol);
        return new FakeChargePoint(id, socket);
    }

    public static string BasicAuthorization(string username, string password) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"));

    /// <summary>
    /// Sends a WebSocket upgrade request with exactly this request target over a plain TCP socket (no client-side URI
    /// normalisation) and returns the status line and headers; a 101 connection is dropped at once.
    /// </summary>
    public static async Task<HandshakeResponse> HandshakeAsync(Uri server, string requestTarget, string? authorization,
        string? subprotocol = Subprotocol)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, timeout.Token);
        var stream = client.GetStream();
        var request = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"GET {requestTarget} HTTP/1.1\r\n")
            .Append(CultureInfo.InvariantCulture, $"Host: {server.Host}:{server.Port}\r\n")
            .Append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
            .Append(CultureInfo.InvariantCulture, $"Sec-WebSocket-Key: {Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))}\r\n");
        if (subprotocol is not null)
        {
            request.Append(CultureInfo.InvariantCulture, $"Sec-WebSocket-Protocol: {subprotocol}\r\n");
        }

        if (authorization is not null)
        {
            request.Append(CultureInfo.InvariantCulture, $"Authorization: {authorization}\r\n");
        }

        request.Append("\r\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), timeout.Token);

        // Read up to the end of the response headers.
        var received = new List<byte>();
        var buffer = new byte[1024];
        while (!EndsWithBlankLine(received))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            received.AddRange(buffer.AsSpan(0, read));
        }

        var text = Encoding.Latin1.GetString([.. received]);
        var lines = text.Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1).TakeWhile(l => l.Length > 0))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
        }

        return new HandshakeResponse(status, headers);

        static bool EndsWithBlankLine(List<byte> bytes) =>
            bytes.Count >= 4 && bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n';
    }

    /// <summary>Sends a CALL and returns the CALLRESULT payload (checked against the OCPP 1.6 response schema).</summary>
    public Task<JsonElement> CallAsync(string action, object payload, string? messageId = null) =>
        CallJsonAsync(action, JsonSerializer.Serialize(payload, Json), messageId);

    /// <summary>Sends a CALL whose payload is the given JSON text verbatim.</summary>
    public async Task<JsonElement> CallJsonAsync(string action, string payloadJson, string? messageId = null)
    {
        var id = messageId ?? NextMessageId();
        var pending = new Pending(new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_pending.TryAdd(id, pending))
        {
            throw new InvalidOperationException($"A call with message id {id} is already pending.");
        }

        try
        {
            await SendRawAsync($"[2,{JsonSerializer.Serialize(id)},{JsonSerializer.Serialize(action)},{payloadJson}]");
            var result = await pending.Completion.Task.WaitAsync(DefaultTimeout);
            OcppSchemaValidator.Ocpp16.ValidateResponse(action, result).ShouldBeNull($"{action}.conf must match the OCPP 1.6 schema: {result}");
            return result;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public string NextMessageId() => $"{Id[..Math.Min(Id.Length, 20)]}-{Interlocked.Increment(ref _nextId)}";

    public async Task SendRawAsync(string text) => await SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    /// <summary>A text frame with arbitrary bytes (e.g. invalid UTF-8).</summary>
    public Task SendRawBytesAsync(byte[] bytes) => SendAsync(bytes, WebSocketMessageType.Text);

    public Task SendBinaryAsync(byte[] bytes) => SendAsync(bytes, WebSocketMessageType.Binary);

    /// <summary>The next inbound frame not claimed by a pending call; null when the socket closed first.</summary>
    public async Task<string?> ReceiveRawAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _inbound.Reader.ReadAsync(cts.Token);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No frame for {Id} within {timeout}.");
        }
    }

    /// <summary>An inbound frame already received and not claimed by a pending call, if any (no waiting).</summary>
    public bool TryReceiveRaw(out string? frame) => _inbound.Reader.TryRead(out frame);

    /// <summary>Waits for the server to close the socket and returns its close status.</summary>
    public Task<WebSocketCloseStatus?> WaitForCloseAsync(TimeSpan? timeout = null) => _closed.Task.WaitAsync(timeout ?? DefaultTimeout);

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
                await _closed.Task.WaitAsync(timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException)
            {
            }
        }

        await _stop.CancelAsync();
        _socket.Abort();
#pragma warning disable VSTHRD003 // the receive loop was started by this instance
        await _receiveLoop;
#pragma warning restore VSTHRD003
        _socket.Dispose();
        _stop.Dispose();
        _sendLock.Dispose();
    }

    private async Task SendAsync(byte[] bytes, WebSocketMessageType type)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await _sendLock.WaitAsync(timeout.Token);
        try
        {
            await _socket.SendAsync(bytes, type, endOfMessage: true, timeout.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        WebSocketCloseStatus? status = null;
        try
        {
            while (true)
            {
                buffer.ResetWrittenCount();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.GetMemory(4096), _stop.Token);
                    buffer.Advance(result.Count);
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    status = _socket.CloseStatus;
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "ack", timeout.Token);
                    }

                    return;
                }

                Dispatch(Encoding.UTF8.GetString(buffer.WrittenSpan));
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            status ??= _socket.CloseStatus;
        }
        finally
        {
            CloseStatus = status;
            _closed.TrySetResult(status);
            _inbound.Writer.TryComplete();
            foreach (var pending in _pending.Values)
            {
                pending.Completion.TrySetException(new WebSocketException($"The connection of {Id} closed ({status?.ToString() ?? "no status"})."));
            }
        }
    }

    private void Dispatch(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var frame = document.RootElement;
            if (frame.ValueKind == JsonValueKind.Array && frame.GetArrayLength() >= 3 && frame[1].ValueKind == JsonValueKind.String
                && _pending.TryGetValue(frame[1].GetString()!, out var pending))
            {
                switch (frame[0].GetInt32())
                {
                    case 3:
                        pending.Completion.TrySetResult(frame[2].Clone());
                        return;
                    case 4:
                        pending.Completion.TrySetException(new OcppCallErrorException(frame[1].GetString()!, frame[2].GetString()!,
                            frame.GetArrayLength() > 3 ? frame[3].GetString() ?? "" : ""));
                        return;
                }
            }
        }
        catch (JsonException)
        {
        }

        _inbound.Writer.TryWrite(text);
    }

    private sealed record Pending(TaskCompletionSource<JsonElement> Completion);
}
