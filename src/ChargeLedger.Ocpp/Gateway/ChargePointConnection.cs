using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using ChargeLedger.ChargePoints;
using ChargeLedger.Commands;
using ChargeLedger.Ledger;
using ChargeLedger.Ocpp.Framing;
using Microsoft.Extensions.Logging;

namespace ChargeLedger.Ocpp.Gateway;

/// <summary>
/// One charge point's OCPP 1.6 session over an <see cref="IOcppLink"/> (its own WebSocket, or EMQX's OCPP gateway over
/// MQTT). The link's receive loop hands over frames (so pings and replies to our calls are never stuck behind a slow
/// CALL) and inbound CALLs are queued; a processor answers them strictly one after another, which keeps each charge
/// point's messages in order (RELIABILITY B8, E10) while other charge points run in parallel. Everything that decides
/// on the ledger (the processor, connect/disconnect, the <see cref="SilenceWatchdog"/>) takes the ledger gate, because
/// the ledger is single-writer by design.
/// </summary>
public sealed class ChargePointConnection : IDisposable
{
    private static readonly Meter Meter = new("ChargeLedger.Ocpp");
    private static readonly Counter<long> Calls = Meter.CreateCounter<long>("chargeledger.ocpp.calls");
    private static readonly Histogram<double> CallMs = Meter.CreateHistogram<double>("chargeledger.ocpp.call_ms", "ms",
        "From dequeuing a CALL to handing its answer to the socket");
    private static readonly Histogram<double> QueuedMs = Meter.CreateHistogram<double>("chargeledger.ocpp.queued_ms", "ms",
        "From reading a CALL off the socket to starting to process it");

    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);

    private readonly IOcppLink _link;
    private readonly OcppOptions _options;
    private readonly V16Dispatcher _dispatcher;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<(OcppCall Call, long ReceivedAt)> _calls;
    private readonly HashSet<string> _callsInFlight = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _closing = new();
    private readonly SemaphoreSlim _ledgerGate = new(1, 1);
    private long _lastSeenTicks;

    // Silence bookkeeping (issue 3). While _silenceWatch is 1, the first message to arrive stamps _heardAfterWatchTicks,
    // so a message racing the watchdog's append is never lost. _silentSince/_silentDetectedAt are touched under the gate only.
    private int _silenceWatch;
    private long _heardAfterWatchTicks;
    private DateTimeOffset? _silentSince;
    private DateTimeOffset _silentDetectedAt;

    // On a link that redelivers (MQTT QoS 1), the last answers by UniqueId, so a CALL delivered again is answered again
    // without being decided twice.
    private const int RememberedAnswers = 64;
    private readonly RecentByKey<CallReply> _answers = new(RememberedAnswers);

    // Our calls to the charge point (issue 5): one outstanding at a time, the rest queued in order (OCPP-J 1.6 §4.1.1).
    // Ids of calls that timed out are remembered (a bounded few) so a late reply is recorded rather than called stray.
    private const int RememberedTimeouts = 64;
    // The queue and its sender start with the first command: most connections never get one, and each idle one counts.
    private readonly Lock _callerLock = new();
    private readonly RecentByKey<OutgoingCall> _timedOut = new(RememberedTimeouts);
    private Channel<OutgoingCall>? _outgoing;
    private Task _caller = Task.CompletedTask;
    private CancellationToken _runToken;
    private CancellationTokenSource? _callerStop; // made with the caller: most connections never need it
    private bool _running;
    private bool _ended;
    private OutgoingCall? _awaiting;

    public ChargePointConnection(string chargePointId, ChargePointLedger ledger, IOcppLink link, OcppOptions options,
        V16Dispatcher dispatcher, TimeProvider time, ILogger logger, string? connectionId = null)
    {
        ChargePointId = chargePointId;
        Ledger = ledger;
        ConnectionId = connectionId ?? Guid.CreateVersion7().ToString("N");
        _link = link;
        _options = options;
        _dispatcher = dispatcher;
        _time = time;
        _logger = logger;
        _calls = Channel.CreateBounded<(OcppCall, long)>(new BoundedChannelOptions(options.MaxQueuedCalls)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        Heard();
    }

    public string ChargePointId { get; }

    public string ConnectionId { get; }

    public ChargePointLedger Ledger { get; }

    public DateTimeOffset LastSeenAt => new(Interlocked.Read(ref _lastSeenTicks), TimeSpan.Zero);

    /// <summary>Why the connection ended, for the ChargePointDisconnected event.</summary>
    public string CloseReason { get; set; } = "Closed by charge point";

    /// <summary>
    /// Runs until <paramref name="receive"/> (the link's inbound loop, which hands frames to <see cref="RouteAsync"/>)
    /// ends; returns once the last queued CALL has been answered.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> receive, CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _closing.Token);
        var processor = Task.Run(() => ProcessAsync(linked.Token), CancellationToken.None);
        lock (_callerLock)
        {
            _runToken = linked.Token;
            _running = true;
            if (_outgoing is not null)
            {
                StartCaller(); // a command came between registration and now
            }
        }

        try
        {
            await receive(linked.Token);
        }
        finally
        {
            _calls.Writer.TryComplete();
            Task caller;
            CancellationTokenSource? callerStop;
            lock (_callerLock)
            {
                _ended = true;
                _outgoing?.Writer.TryComplete();
                caller = _caller;
                callerStop = _callerStop;
            }

            // Our calls stop with the socket: whatever is in flight or queued fails at once (ConnectionLost) instead of
            // timing out, while the processor still answers the charge point's queued CALLs.
            if (callerStop is not null)
            {
                await callerStop.CancelAsync();
            }

            await processor;
            await caller;
            callerStop?.Dispose();
        }
    }

    /// <summary>Closes the link from our side (replacement by a newer connection, idle, shutdown, the charge point gone).</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        CloseReason = reason;
        try
        {
            await _link.CloseAsync(status, reason);
        }
        finally
        {
            try
            {
                // RFC 6455 §7.1.1: the peer answers our Close frame with its own, which ends the receive loop. Cancelling
                // the pending receive at once aborts the socket and can drop our Close frame before it is sent, so a
                // replaced charge point would never learn why (1008); the cancel is only the bound on a silent peer.
                _closing.CancelAfter(CloseHandshakeTimeout);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Records a fact about this connection (connected, disconnected) exclusively of its messages and the silence watchdog.</summary>
    public Task<bool> RecordAsync(object command, CancellationToken cancellationToken) =>
        ExclusiveAsync(() => _dispatcher.RecordAsync(this, command, cancellationToken), cancellationToken);

    /// <summary>Runs a decision on the ledger exclusively of the message processor and the silence watchdog.</summary>
    public async Task<T> ExclusiveAsync<T>(Func<Task<T>> decide, CancellationToken cancellationToken)
    {
        await _ledgerGate.WaitAsync(cancellationToken);
        try
        {
            return await decide();
        }
        finally
        {
            _ledgerGate.Release();
        }
    }

    /// <summary>
    /// The watchdog's look at this connection: records ChargePointWentSilent once nothing arrived for
    /// <paramref name="threshold"/>, and ChargePointHeardAgain for a silent connection that has spoken since (when no CALL
    /// did it first). A connection busy with a CALL is skipped: it is not silent, and the scan never waits on it.
    /// </summary>
    public async Task ObserveSilenceAsync(TimeSpan threshold, CancellationToken cancellationToken)
    {
        try
        {
            if (!await _ledgerGate.WaitAsync(0, cancellationToken))
            {
                return;
            }
        }
        catch (ObjectDisposedException)
        {
            return; // closed while the scan was under way
        }

        try
        {
            if (_silentSince is not null)
            {
                await HearAgainIfSpokenAsync(cancellationToken);
                return;
            }

            Interlocked.Exchange(ref _heardAfterWatchTicks, 0);
            Interlocked.Exchange(ref _silenceWatch, 1);
            var lastHeardAt = LastSeenAt;
            if (_time.GetUtcNow() - lastHeardAt < threshold || !_link.IsOpen)
            {
                Interlocked.Exchange(ref _silenceWatch, 0);
                return;
            }

            var recorded = false;
            try
            {
                recorded = await _dispatcher.RecordAsync(this, new RecordWentSilent(Ledger, ConnectionId, lastHeardAt), cancellationToken);
            }
            finally
            {
                if (!recorded)
                {
                    Interlocked.Exchange(ref _silenceWatch, 0);
                }
            }

            if (recorded)
            {
                _silentSince = lastHeardAt;
                _silentDetectedAt = _time.GetUtcNow();
                _logger.LogInformation("{ChargePointId} went silent: nothing heard since {LastHeardAt}", ChargePointId, lastHeardAt);
                await HearAgainIfSpokenAsync(cancellationToken); // a message may have arrived while the silence was recorded
            }
        }
        finally
        {
            _ledgerGate.Release();
        }
    }

    /// <summary>Queues a CALL of ours (an operator command); the task ends with its reply, a timeout or the connection's end.</summary>
    public Task<CallOutcome> EnqueueCallAsync(string action, JsonElement payload, Func<string, Task> sent, Func<CallOutcome, Task> lateReply,
        CancellationToken cancellationToken)
    {
        var call = new OutgoingCall(action, payload, sent, lateReply);
        lock (_callerLock)
        {
            if (_ended)
            {
                return Task.FromResult(new CallOutcome(CallOutcomeKind.ConnectionLost, ErrorDescription: "The connection closed"));
            }

            if (_outgoing is null)
            {
                _outgoing = Channel.CreateUnbounded<OutgoingCall>(new UnboundedChannelOptions { SingleReader = true });
                if (_running)
                {
                    StartCaller();
                }
            }

            _outgoing.Writer.TryWrite(call);
        }

        return call.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Under <see cref="_callerLock"/>, with the queue created and the connection running.</summary>
    private void StartCaller()
    {
        var reader = _outgoing!.Reader;
        _callerStop = CancellationTokenSource.CreateLinkedTokenSource(_runToken);
        var token = _callerStop.Token;
        _caller = Task.Run(() => CallOutAsync(reader, token), CancellationToken.None);
    }

    /// <summary>Sends queued calls one at a time, each waiting for its reply or the call timeout (RELIABILITY B10).</summary>
    private async Task CallOutAsync(ChannelReader<OutgoingCall> outgoing, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(Math.Max(1, _options.CallTimeoutSeconds));
        OutgoingCall? current = null;
        try
        {
            await foreach (var call in outgoing.ReadAllAsync(cancellationToken))
            {
                current = call;
                Volatile.Write(ref _awaiting, call);
                await _link.SendCallAsync(call.MessageId, call.Action, call.Payload, cancellationToken);
                try
                {
                    await call.Sent(call.MessageId);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The frame is out; the outcome is still worth waiting for and recording.
                    _logger.LogWarning(ex, "Could not record that {Action} {MessageId} was sent to {ChargePointId}", call.Action, call.MessageId, ChargePointId);
                }

                CallOutcome outcome;
                try
                {
                    outcome = await call.Reply.Task.WaitAsync(timeout, _time, cancellationToken);
                }
                catch (TimeoutException)
                {
                    _timedOut.Add(call.MessageId, call);
                    outcome = new CallOutcome(CallOutcomeKind.TimedOut);
                }
                finally
                {
                    Volatile.Write(ref _awaiting, null);
                }

                // Only now, after "sent" was recorded: the caller records the outcome next, never beside it.
                call.Completion.TrySetResult(outcome);
                current = null;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            current?.Completion.TrySetResult(new CallOutcome(CallOutcomeKind.ConnectionLost, ErrorDescription: "The connection closed before the reply"));
            while (outgoing.TryRead(out var queued))
            {
                queued.Completion.TrySetResult(new CallOutcome(CallOutcomeKind.ConnectionLost, ErrorDescription: "The connection closed before the call was sent"));
            }
        }
    }

    /// <summary>A CALLRESULT or CALLERROR: the answer to the call in flight, a late answer to one that timed out, or stray (RELIABILITY B9).</summary>
    private async Task ReplyAsync(string messageId, CallOutcome outcome)
    {
        if (Volatile.Read(ref _awaiting) is { } awaiting && awaiting.MessageId == messageId)
        {
            awaiting.Reply.TrySetResult(outcome);
        }
        else if (_timedOut.TryTake(messageId, out var late))
        {
            try
            {
                await late.LateReply(outcome);
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Could not record the late reply of {ChargePointId} to {Action} {MessageId}", ChargePointId, late.Action, messageId);
            }
        }
        else
        {
            _logger.LogInformation("Ignoring a reply from {ChargePointId} to a call we did not make ({MessageId})", ChargePointId, messageId);
        }
    }

    public void Dispose()
    {
        _closing.Dispose();
        _ledgerGate.Dispose();
    }

    /// <summary>Under the ledger gate: ends a recorded silence if a message has arrived since.</summary>
    private async Task HearAgainIfSpokenAsync(CancellationToken cancellationToken)
    {
        var heardTicks = Interlocked.Read(ref _heardAfterWatchTicks);
        if (_silentSince is null || heardTicks == 0)
        {
            return;
        }

        // Never before the silence's own detection time, so the silence has a non-negative length even when the message
        // raced the watchdog's append.
        var heardAt = new DateTimeOffset(Math.Max(heardTicks, _silentDetectedAt.UtcTicks), TimeSpan.Zero);
        await _dispatcher.RecordAsync(this, new RecordHeardAgain(Ledger, ConnectionId, heardAt), cancellationToken);
        _silentSince = null;
        Interlocked.Exchange(ref _silenceWatch, 0);
        _logger.LogInformation("{ChargePointId} heard again at {HeardAt}", ChargePointId, heardAt);
    }

    /// <summary>Something arrived from the charge point (any frame, even a bad one): it is not idle and not silent.</summary>
    public void Heard()
    {
        var now = _time.GetUtcNow().UtcTicks;
        Interlocked.Exchange(ref _lastSeenTicks, now);
        if (Volatile.Read(ref _silenceWatch) == 1)
        {
            Interlocked.CompareExchange(ref _heardAfterWatchTicks, now, 0);
        }
    }

    /// <summary>A well-formed frame from the charge point: a CALL is queued for the processor; a reply goes to our call.</summary>
    public async ValueTask RouteAsync(OcppFrame frame, CancellationToken cancellationToken)
    {
        switch (frame)
        {
            case OcppCall call:
                await AdmitAsync(call, cancellationToken);
                break;
            case OcppCallResult result:
                await ReplyAsync(result.MessageId, new CallOutcome(CallOutcomeKind.Result, result.Payload.Clone()));
                break;
            case OcppCallError error:
                await ReplyAsync(error.MessageId, new CallOutcome(CallOutcomeKind.Error, null, error.ErrorCode, error.ErrorDescription));
                break;
        }
    }

    private async ValueTask AdmitAsync(OcppCall call, CancellationToken cancellationToken)
    {
        if (_link.Redelivers && _answers.TryGet(call.MessageId, out var answered))
        {
            await SendReplyAsync(call.MessageId, answered, cancellationToken);
            return;
        }

        bool duplicate;
        lock (_callsInFlight)
        {
            duplicate = !_callsInFlight.Add(call.MessageId);
        }

        if (duplicate)
        {
            if (!_link.Redelivers)
            {
                // OCPP-J 1.6 §4.1.4: ids are unique per sender; a reused id while the first is unanswered is a protocol fault.
                await _link.SendErrorAsync(call.MessageId, OcppErrorCodes.ProtocolError, "A CALL with this message id is still being processed",
                    cancellationToken);
            }

            return; // delivered again while the first copy is being answered: that answer serves both
        }

        if (!_link.Redelivers)
        {
            await _calls.Writer.WriteAsync((call, Stopwatch.GetTimestamp()), cancellationToken); // back-pressure on the socket
        }
        else if (!_calls.Writer.TryWrite((call, Stopwatch.GetTimestamp())))
        {
            // A shared link must not wait on one charge point; one that floods past its queue is told to come back.
            lock (_callsInFlight)
            {
                _callsInFlight.Remove(call.MessageId);
            }

            await _link.SendErrorAsync(call.MessageId, OcppErrorCodes.InternalError, "Too many CALLs queued; retry later", cancellationToken);
        }
    }

    private async Task ProcessAsync(CancellationToken cancellationToken)
    {
        await foreach (var (call, receivedAt) in _calls.Reader.ReadAllAsync(CancellationToken.None))
        {
            var action = new KeyValuePair<string, object?>("action", call.Action);
            var started = Stopwatch.GetTimestamp();
            QueuedMs.Record(Stopwatch.GetElapsedTime(receivedAt, started).TotalMilliseconds, action);
            CallReply reply;
            try
            {
                Calls.Add(1, action);
                await _ledgerGate.WaitAsync(cancellationToken);
                try
                {
                    // The end of a silence is recorded before whatever the charge point says next.
                    await HearAgainIfSpokenAsync(cancellationToken);
                    reply = await _dispatcher.HandleAsync(this, call, cancellationToken);
                }
                finally
                {
                    _ledgerGate.Release();
                }

                if (_link.Redelivers)
                {
                    _answers.Add(call.MessageId, reply);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The link is going away: nothing was answered, so the charge point will send it again.
                return;
            }
            catch (Exception ex)
            {
                // Storage failed: the events are not committed, so no CALLRESULT (DESIGN rule 1); the charge point retries.
                _logger.LogError(ex, "{Action} from {ChargePointId} failed", call.Action, ChargePointId);
                reply = CallReply.Error(OcppErrorCodes.InternalError, "The message could not be recorded; retry later");
            }
            finally
            {
                lock (_callsInFlight)
                {
                    _callsInFlight.Remove(call.MessageId);
                }
            }

            CallMs.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, action);
            await SendReplyAsync(call.MessageId, reply, cancellationToken);
        }
    }

    private ValueTask SendReplyAsync(string messageId, CallReply reply, CancellationToken cancellationToken) =>
        reply.ErrorCode is { } code
            ? _link.SendErrorAsync(messageId, code, reply.ErrorDescription ?? code, cancellationToken)
            : _link.SendResultAsync(messageId, reply.Payload, cancellationToken);
}

/// <summary>The answer to one CALL: a CALLRESULT payload (UTF-8 JSON) or a CALLERROR code.</summary>
public readonly record struct CallReply(ReadOnlyMemory<byte> Payload, string? ErrorCode, string? ErrorDescription)
{
    public static CallReply Result<T>(T payload, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo) =>
        new(JsonSerializer.SerializeToUtf8Bytes(payload, typeInfo), null, null);

    public static CallReply Error(string code, string description) => new(default, code, description);
}

/// <summary>One CALL of ours: ids are ours to choose and unique per connection (OCPP-J 1.6 §4.1.4); a v7 GUID is 32 chars, within 36.</summary>
internal sealed class OutgoingCall(string action, JsonElement payload, Func<string, Task> sent, Func<CallOutcome, Task> lateReply)
{
    public string MessageId { get; } = Guid.CreateVersion7().ToString("N");
    public string Action { get; } = action;
    public JsonElement Payload { get; } = payload;
    public Func<string, Task> Sent { get; } = sent;
    public Func<CallOutcome, Task> LateReply { get; } = lateReply;
    /// <summary>The charge point's answer, set by the receive loop.</summary>
    public TaskCompletionSource<CallOutcome> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What the caller gets: the answer, a timeout or the connection's end, once the call's sending is fully recorded.</summary>
    public TaskCompletionSource<CallOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
