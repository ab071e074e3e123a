using System.Buffers.Text;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks.Sources;

namespace ChargeLedger.Simulator.Bench;

public enum ReplyKind : byte
{
    Result,
    Error,
    Timeout,
    Closed,
}

/// <summary>The parts of a CALLRESULT the bench acts on, or why there is none.</summary>
public readonly record struct CallReply(ReplyKind Kind, int TransactionId, bool Accepted, string? ErrorCode);

/// <summary>
/// One HTTP handler for every bench socket. Its connect callback binds each socket to the next of
/// 127.0.0.1..127.0.0.N, because one source address has only ~28,000 ephemeral ports towards the one server port.
/// </summary>
public sealed class LoopbackInvoker : IDisposable
{
    // IP_BIND_ADDRESS_NO_PORT (linux/in.h): the port is chosen at connect() for the whole 4-tuple, not at bind().
    private const int IpBindAddressNoPort = 24;
    private readonly IPAddress[] _sources;
    private int _next = -1;

    public LoopbackInvoker(int sourceAddresses)
    {
        _sources = [.. Enumerable.Range(1, sourceAddresses).Select(i => new IPAddress([127, 0, 0, (byte)i]))];
        Invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectCallback = ConnectAsync,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            MaxConnectionsPerServer = int.MaxValue,
            ConnectTimeout = TimeSpan.FromSeconds(30),
        });
    }

    public HttpMessageInvoker Invoker { get; }

    public int SourceAddresses => _sources.Length;

    public void Dispose() => Invoker.Dispose();

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (_sources.Length > 1)
            {
                if (OperatingSystem.IsLinux())
                {
                    socket.SetRawSocketOption((int)SocketOptionLevel.IP, IpBindAddressNoPort, BitConverter.GetBytes(1));
                }

                var source = _sources[(int)((uint)Interlocked.Increment(ref _next) % (uint)_sources.Length)];
                socket.Bind(new IPEndPoint(source, 0));
            }

            var target = IPAddress.TryParse(context.DnsEndPoint.Host, out var address)
                ? new IPEndPoint(address, context.DnsEndPoint.Port)
                : (EndPoint)context.DnsEndPoint;
            await socket.ConnectAsync(target, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>
/// A lean OCPP-J 1.6 client socket for load: one CALL outstanding at a time (OCPP-J 1.6 §4.1.1), so the reply is
/// awaited through one reusable value-task source instead of a dictionary of task sources; frames are written by
/// <see cref="OcppFrames"/> into a per-connection buffer and replies read with Utf8JsonReader, without strings.
/// A receive loop is always pending so the server's WebSocket pings are answered (its keep-alive timeout).
/// </summary>
public sealed class BenchConnection : IValueTaskSource<CallReply>, IDisposable
{
    private const int MaxMessageBytes = 64 * 1024;

    private readonly ClientWebSocket _socket;
    private readonly byte[] _id;
    private readonly byte[] _idTag;
    private readonly byte[] _send = new byte[768];
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private byte[] _receive = new byte[256];
    private ManualResetValueTaskSourceCore<CallReply> _reply;
    private int _lastMessageId;
    private int _pendingId;
    private long _sentAt;
    private volatile bool _closing;
    private Task _receiveLoop = Task.CompletedTask;

    private BenchConnection(ClientWebSocket socket, string chargePointId, string idTag)
    {
        _socket = socket;
        _id = Encoding.ASCII.GetBytes(chargePointId);
        _idTag = Encoding.ASCII.GetBytes(idTag);
    }

    public bool IsOpen { get; private set; } = true;

    public bool HasPendingCall => Volatile.Read(ref _pendingId) != 0;

    /// <summary>True when the server (or the network) ended the socket, not <see cref="CloseAsync"/>.</summary>
    public bool LostByServer { get; private set; }

    /// <summary>Server-initiated CALLs seen (answered with CALLERROR NotImplemented).</summary>
    public int ServerCalls { get; private set; }

    public static string BasicAuthorization(string chargePointId, string password) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{chargePointId}:{password}"));

    /// <summary>Connects with HTTP Basic (OCPP 1.6 security profile 1) and subprotocol ocpp1.6; throws a classified message on refusal.</summary>
    public static async Task<BenchConnection> ConnectAsync(Uri endpoint, string chargePointId, string password, string idTag,
        HttpMessageInvoker invoker, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        try
        {
            socket.Options.AddSubProtocol(OcppConnection.SubProtocol);
            socket.Options.SetRequestHeader("Authorization", BasicAuthorization(chargePointId, password));
            // OCPP heartbeats keep the connection alive; no client-side ping timer per socket.
            socket.Options.KeepAliveInterval = TimeSpan.Zero;
            socket.Options.CollectHttpResponseDetails = true;
            try
            {
                await socket.ConnectAsync(endpoint, invoker, ct);
            }
            catch (WebSocketException) when (socket.HttpStatusCode != 0)
            {
                throw new BenchConnectException($"http{(int)socket.HttpStatusCode}");
            }

            socket.HttpResponseHeaders = null;
            if (socket.SubProtocol != OcppConnection.SubProtocol)
            {
                throw new BenchConnectException("subprotocol");
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new BenchConnection(socket, chargePointId, idTag);
        connection._receiveLoop = connection.ReceiveLoopAsync();
        return connection;
    }

    /// <summary>Sends one CALL; the value task completes with its reply, a timeout (<see cref="ExpireIfOverdue"/>) or the close.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<CallReply> CallAsync(OcppAction action, CallArguments args)
    {
        if (!IsOpen || _closing)
        {
            return new CallReply(ReplyKind.Closed, 0, false, null);
        }

        _reply.Reset();
        var version = _reply.Version;
        var id = ++_lastMessageId;
        await _sendLock.WaitAsync();
        try
        {
            var length = OcppFrames.Write(_send, action, id, _id, _idTag, args, DateTime.UtcNow);
            Volatile.Write(ref _sentAt, Stopwatch.GetTimestamp());
            Volatile.Write(ref _pendingId, id);
            await _socket.SendAsync(_send.AsMemory(0, length), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            Complete(id, new CallReply(ReplyKind.Closed, 0, false, null));
        }
        finally
        {
            _sendLock.Release();
        }

        return await new ValueTask<CallReply>(this, version);
    }

    /// <summary>Called by the bench's watchdog: fails the outstanding CALL once it is older than the timeout.</summary>
    public void ExpireIfOverdue(long nowTimestamp, long timeoutTicks)
    {
        var id = Volatile.Read(ref _pendingId);
        if (id != 0 && nowTimestamp - Volatile.Read(ref _sentAt) > timeoutTicks)
        {
            Complete(id, new CallReply(ReplyKind.Timeout, 0, false, null));
        }
    }

    public async Task CloseAsync(TimeSpan timeout)
    {
        _closing = true;
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                await _sendLock.WaitAsync(cts.Token);
                try
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bench finished", cts.Token);
                }
                finally
                {
                    _sendLock.Release();
                }
            }

            await _receiveLoop.WaitAsync(cts.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
        }
        finally
        {
            _socket.Abort();
            Dispose();
        }
    }

    // The send lock stays usable: a heartbeat racing the close must find the socket closed, not the lock disposed
    // (a SemaphoreSlim whose wait handle was never asked for holds nothing to release).
    public void Dispose() => _socket.Dispose();

    CallReply IValueTaskSource<CallReply>.GetResult(short token) => _reply.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<CallReply>.GetStatus(short token) => _reply.GetStatus(token);

    void IValueTaskSource<CallReply>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _reply.OnCompleted(continuation, state, token, flags);

    // Whoever swaps the pending id out (the reply, the watchdog or the close) completes the call; the others find it gone.
    private void Complete(int id, CallReply reply)
    {
        if (Interlocked.CompareExchange(ref _pendingId, 0, id) == id)
        {
            _reply.SetResult(reply);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var written = 0;
        try
        {
            while (true)
            {
                if (written == _receive.Length)
                {
                    if (_receive.Length >= MaxMessageBytes)
                    {
                        break;
                    }

                    Array.Resize(ref _receive, _receive.Length * 2);
                }

                var received = await _socket.ReceiveAsync(_receive.AsMemory(written), CancellationToken.None);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                written += received.Count;
                if (received.EndOfMessage)
                {
                    await DispatchAsync(written);
                    written = 0;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
        }
        finally
        {
            IsOpen = false;
            LostByServer = !_closing;
            var id = Volatile.Read(ref _pendingId);
            if (id != 0)
            {
                Complete(id, new CallReply(ReplyKind.Closed, 0, false, null));
            }
        }
    }

    private ValueTask DispatchAsync(int length)
    {
        var frame = _receive.AsSpan(0, length);
        var reader = new Utf8JsonReader(frame);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray || !reader.Read() || reader.TokenType != JsonTokenType.Number
            || !reader.TryGetInt32(out var type) || !reader.Read() || reader.TokenType != JsonTokenType.String)
        {
            return ValueTask.CompletedTask;
        }

        if (type == 2)
        {
            ServerCalls++;
            return AnswerServerCallAsync(reader.GetString()!);
        }

        if (!Utf8Parser.TryParse(reader.ValueSpan, out int id, out var consumed) || consumed != reader.ValueSpan.Length)
        {
            return ValueTask.CompletedTask;
        }

        if (type == 4)
        {
            var code = reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : "?";
            Complete(id, new CallReply(ReplyKind.Error, 0, false, code));
        }
        else if (type == 3)
        {
            var (transactionId, accepted) = ReadResult(ref reader);
            Complete(id, new CallReply(ReplyKind.Result, transactionId, accepted, null));
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>transactionId (StartTransaction.conf) and whether "status" (Boot, or idTagInfo.status) is Accepted.</summary>
    private static (int TransactionId, bool Accepted) ReadResult(ref Utf8JsonReader reader)
    {
        var transactionId = 0;
        var accepted = false;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }

                if (reader.ValueTextEquals("transactionId"u8) && reader.Read() && reader.TokenType == JsonTokenType.Number)
                {
                    reader.TryGetInt32(out transactionId);
                }
                else if (reader.ValueTextEquals("status"u8) && reader.Read() && reader.TokenType == JsonTokenType.String)
                {
                    accepted = reader.ValueTextEquals("Accepted"u8);
                }
            }
        }
        catch (JsonException)
        {
        }

        return (transactionId, accepted);
    }

    // OCPP-J 1.6 §4.2.3: an action the bench does not implement is answered NotImplemented, so the server's call ends.
    private async ValueTask AnswerServerCallAsync(string messageId)
    {
        var frame = Encoding.UTF8.GetBytes($"[4,{JsonSerializer.Serialize(messageId, BenchJsonContext.Default.String)},\"NotImplemented\",\"bench client\",{{}}]");
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
        }
    }
}

public sealed class BenchConnectException(string kind) : Exception($"connect refused: {kind}")
{
    public string Kind { get; } = kind;
}
