using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using ChargeLedger.ChargePoints;
using ChargeLedger.Ledger;
using ChargeLedger.Mqtt.External;
using ChargeLedger.Ocpp.Framing;
using ChargeLedger.Ocpp.Gateway;
using ChargeLedger.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;
using Wolverine;

namespace ChargeLedger.Mqtt.OcppBridge;

/// <summary>
/// OCPP 1.6 over MQTT behind EMQX's OCPP gateway (issue 5, DESIGN.md): consumes <c>ocpp/cp/+</c>, <c>ocpp/cp/+/Reply</c>
/// and EMQX's client connectivity topics from the external broker, and feeds each charge point's frames to a
/// <see cref="ChargePointConnection"/> over an <see cref="MqttOcppLink"/>, so the same dispatcher, handlers and rules
/// (commit before the CALLRESULT, one CALL of ours at a time) serve it as a WebSocket. The gateway answers nothing itself,
/// so Heartbeat is answered here too; a CALL delivered twice is answered twice but decided once.
/// <para>
/// With several nodes (<see cref="OcppBridgeOptions.SharedGroup"/>) the charge points' CALLs are split between them;
/// replies and connectivity reach every node. A session exists on the node that hears the charge point, so operator
/// commands go there (CommandRelay); EMQX's <c>hash_clientid</c> strategy keeps one charge point on one node.
/// </para>
/// </summary>
public sealed class OcppBridge(
    IOptions<MqttOptions> options,
    IOptions<OcppOptions> ocppOptions,
    ConnectionRegistry registry,
    LedgerStore ledgerStore,
    LedgerPipeline pipeline,
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    /// <summary>Connection ids of EMQX connections carry the connect time (ms), to order a late disconnected message.</summary>
    public const string ConnectionIdPrefix = "emqx:";

    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly ILogger _logger = loggers.CreateLogger<OcppBridge>();
    private readonly ILogger _security = loggers.CreateLogger("ChargeLedger.Security");
    private ExternalBrokerClient? _client;
    private CancellationToken _stopping;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.OcppBridge.Enabled)
        {
            return;
        }

        if (!settings.ExternalBroker.Configured)
        {
            _logger.LogError("The OCPP bridge is enabled but ChargeLedger:Mqtt:ExternalBroker:Host is not set; it stays off");
            return;
        }

        _stopping = stoppingToken;
        var bridge = settings.OcppBridge;
        _client = new ExternalBrokerClient(settings.ExternalBroker, bridge.ClientId, [bridge.CallFilter, bridge.ReplyFilter, bridge.ConnectivityTopic],
            time, _logger);
        try
        {
            await _client.RunAsync(HandleAsync, stoppingToken);
        }
        finally
        {
            foreach (var session in _sessions.Values)
            {
                await session.Link.CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "Shutting down");
            }

            await Task.WhenAll(_sessions.Values.Select(s => s.Running));
        }
    }

    private async Task HandleAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        var bridge = options.Value.OcppBridge;
        var topic = message.Topic;
        if (ConnectivityEvent(bridge.ConnectivityTopic, topic) is { } connectivity)
        {
            await ConnectivityAsync(connectivity.ChargePointId, connectivity.Connected, message, cancellationToken);
            return;
        }

        if (!topic.StartsWith(bridge.Mountpoint + "cp/", StringComparison.Ordinal))
        {
            return;
        }

        var rest = topic[(bridge.Mountpoint.Length + 3)..];
        var isReply = rest.EndsWith("/Reply", StringComparison.Ordinal);
        var chargePointId = isReply ? rest[..^"/Reply".Length] : rest;
        if (!StreamKeys.IsValidId(chargePointId))
        {
            _security.LogWarning("OCPP bridge: ignoring {Topic}, not a valid charge point id", Printable(topic));
            return;
        }

        var frame = EmqxOcppFrames.Parse(message.Payload.IsSingleSegment ? message.Payload.FirstSpan : message.Payload.ToArray());
        switch (frame)
        {
            case OcppBadFrame bad:
                _logger.LogInformation("Bad OCPP message from {ChargePointId}: {Code} {Description}", chargePointId, bad.ErrorCode, bad.Description);
                if (bad.MessageId is not null)
                {
                    await PublishAsync(bridge.DownlinkTopic(chargePointId), EmqxOcppFrames.Error(bad.MessageId, bad.ErrorCode, bad.Description), cancellationToken);
                }

                break;
            case OcppCall:
                // A session ending at this very moment refuses the frame; the next one is a fresh session.
                if (!SessionFor(chargePointId, connectionId: null, remoteAddress: null).Link.Post(new BridgeFrame(frame)))
                {
                    SessionFor(chargePointId, connectionId: null, remoteAddress: null).Link.Post(new BridgeFrame(frame));
                }

                break;
            default:
                // Our calls are answered on .../Reply; a session that made none here (another node did) has nothing to match.
                if (_sessions.TryGetValue(chargePointId, out var session))
                {
                    session.Link.Post(new BridgeFrame(frame));
                }
                else
                {
                    _logger.LogDebug("OCPP bridge: reply from {ChargePointId} to a call of another node", chargePointId);
                }

                break;
        }
    }

    private async Task ConnectivityAsync(string chargePointId, bool connected, MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        var report = ConnectivityReport.Parse(message.Payload.ToArray(), time.GetUtcNow());
        var connectionId = ConnectionIdPrefix + report.At.ToUnixTimeMilliseconds();
        _sessions.TryGetValue(chargePointId, out var session);
        if (connected)
        {
            if (session is not null && session.ConnectionId != connectionId)
            {
                // The old session ends on its own; out of the map now, so the new connection gets a session of its own.
                _sessions.TryRemove(new KeyValuePair<string, Session>(chargePointId, session));
                session.Link.Post(new BridgeDisconnected("Replaced by a newer connection", Superseded: true));
                session = null;
            }

            if (session is null && !options.Value.OcppBridge.Shared)
            {
                // The only node: the session starts now, so commands reach the charge point before it says anything.
                SessionFor(chargePointId, connectionId, report.RemoteAddress);
            }
            else if (session is null)
            {
                // Several nodes: the session starts where the charge point's CALLs land; the connection is recorded by all.
                // RecordConnected makes the same connection reported again (by every node) a no-op.
                await RecordDirectAsync(chargePointId, ledger =>
                    new RecordConnected(ledger, connectionId, report.RemoteAddress, ledger.ChargePoint.Connected ? ledger.ChargePoint.ConnectionId : null),
                    cancellationToken);
            }

            return;
        }

        if (session is not null)
        {
            if (ConnectedAt(session.ConnectionId) is not { } since || since <= report.At)
            {
                session.Link.Post(new BridgeDisconnected(report.Reason));
            }

            return;
        }

        await RecordDirectAsync(chargePointId, ledger => ledger.ChargePoint is { Connected: true, ConnectionId: { } current }
                                                         && ConnectedAt(current) is { } since && since <= report.At
            ? new RecordDisconnected(ledger, current, report.Reason)
            : null, cancellationToken);
    }

    /// <summary>The charge point's session on this node, started when it has none.</summary>
    private Session SessionFor(string chargePointId, string? connectionId, string? remoteAddress)
    {
        while (true)
        {
            if (_sessions.TryGetValue(chargePointId, out var existing))
            {
                if (existing.Link.IsOpen)
                {
                    return existing;
                }

                // Ended but not yet out of the map: a frame posted to it now would be lost.
                _sessions.TryRemove(new KeyValuePair<string, Session>(chargePointId, existing));
                continue;
            }

            var link = new MqttOcppLink(options.Value.OcppBridge.DownlinkTopic(chargePointId), PublishAsync);
            var session = new Session(link);
            if (_sessions.TryAdd(chargePointId, session))
            {
                session.ConnectionId = connectionId;
                session.Running = Task.Run(() => RunSessionAsync(chargePointId, session, remoteAddress), CancellationToken.None);
                return session;
            }
        }
    }

    private async Task RunSessionAsync(string chargePointId, Session session, string? remoteAddress)
    {
        try
        {
            var ledger = await ledgerStore.LoadChargePointAsync(chargePointId, _stopping);
            if (ledger is null)
            {
                _security.LogWarning("OCPP bridge: {ChargePointId} is not a provisioned charge point; its messages are refused", chargePointId);
                await session.Link.CloseAsync(WebSocketCloseStatus.PolicyViolation, "Unknown charge point");
                await RefuseAsync(chargePointId, session.Link);
                return;
            }

            await using var scope = scopes.CreateAsyncScope();
            var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
            var dispatcher = ActivatorUtilities.CreateInstance<V16Dispatcher>(scope.ServiceProvider, bus);
            var cp = ledger.ChargePoint;
            // Started by its first CALL: it is on the connection the ledger knows, or (after a gap in what we heard) a new one.
            var adopt = session.ConnectionId is null && cp.Connected && cp.ConnectionId?.StartsWith(ConnectionIdPrefix, StringComparison.Ordinal) == true;
            session.ConnectionId ??= adopt ? cp.ConnectionId : ConnectionIdPrefix + time.GetUtcNow().ToUnixTimeMilliseconds();
            using var connection = new ChargePointConnection(chargePointId, ledger, session.Link, ocppOptions.Value, dispatcher, time,
                loggers.CreateLogger<ChargePointConnection>(), session.ConnectionId);
            var previous = registry.Register(connection);
            try
            {
                if (!adopt)
                {
                    var replaced = previous?.ConnectionId ?? (cp.Connected && cp.ConnectionId != connection.ConnectionId ? cp.ConnectionId : null);
                    await connection.RecordAsync(new RecordConnected(ledger, connection.ConnectionId, remoteAddress, replaced), _stopping);
                }

                if (previous is not null)
                {
                    await previous.CloseAsync(WebSocketCloseStatus.PolicyViolation, "Replaced by a newer connection");
                }

                _logger.LogInformation("{ChargePointId} connected through the OCPP bridge ({ConnectionId})", chargePointId, connection.ConnectionId);
                await connection.RunAsync(token => session.Link.ReceiveAsync(connection, gone =>
                    connection.RecordAsync(new RecordDisconnected(ledger, connection.ConnectionId, gone.Reason), _stopping), token), _stopping);
                _logger.LogInformation("{ChargePointId} left the OCPP bridge: {Reason}", chargePointId, connection.CloseReason);
            }
            finally
            {
                registry.Unregister(connection);
            }
        }
        catch (Exception ex) when (!_stopping.IsCancellationRequested)
        {
            // Nothing was answered that was not committed; the charge point's next CALL starts a fresh session.
            _logger.LogError(ex, "OCPP bridge session of {ChargePointId} failed", chargePointId);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            await session.Link.CloseAsync(WebSocketCloseStatus.NormalClosure, "Session ended");
            _sessions.TryRemove(new KeyValuePair<string, Session>(chargePointId, session));
        }
    }

    /// <summary>An unknown charge point's CALLs get a SecurityError (OCPP-J 1.6 §4.2.3) rather than silence.</summary>
    private async Task RefuseAsync(string chargePointId, MqttOcppLink link)
    {
        await foreach (var input in link.Drain())
        {
            if (input is BridgeFrame { Frame: OcppCall call })
            {
                await PublishAsync(options.Value.OcppBridge.DownlinkTopic(chargePointId),
                    EmqxOcppFrames.Error(call.MessageId, OcppErrorCodes.SecurityError, "Unknown charge point"), _stopping);
            }
        }
    }

    /// <summary>Records a connectivity fact on a charge point this node holds no session for; the handlers make repeats no-ops.</summary>
    private async Task RecordDirectAsync(string chargePointId, Func<ChargePointLedger, object?> decide, CancellationToken cancellationToken)
    {
        if (await ledgerStore.LoadChargePointAsync(chargePointId, cancellationToken) is not { } ledger || decide(ledger) is not { } command)
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        await pipeline.ExecuteAsync<bool>(scope.ServiceProvider.GetRequiredService<IMessageBus>(), ledger, command, cancellationToken);
    }

    private async Task PublishAsync(string topic, byte[] payload, CancellationToken cancellationToken)
    {
        if (_client?.Connected is not { } client)
        {
            // The charge point gets no answer and sends its CALL again; our own call times out (and is recorded so).
            _logger.LogWarning("OCPP bridge: not connected to the broker; dropping a message for {Topic}", topic);
            return;
        }

        try
        {
            await client.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(topic)
                .WithPayload(payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build(), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning(ex, "OCPP bridge: publishing to {Topic} failed", topic);
        }
    }

    /// <summary>The charge point id and kind when <paramref name="topic"/> matches the connectivity filter (its last two levels are id and kind).</summary>
    internal static (string ChargePointId, bool Connected)? ConnectivityEvent(string filter, string topic)
    {
        var pattern = filter.Split('/');
        var levels = topic.Split('/');
        if (levels.Length != pattern.Length || levels.Length < 2)
        {
            return null;
        }

        for (var i = 0; i < levels.Length - 2; i++)
        {
            if (pattern[i] != "+" && pattern[i] != levels[i])
            {
                return null;
            }
        }

        return levels[^1] switch
        {
            "connected" when StreamKeys.IsValidId(levels[^2]) => (levels[^2], true),
            "disconnected" when StreamKeys.IsValidId(levels[^2]) => (levels[^2], false),
            _ => null,
        };
    }

    private static DateTimeOffset? ConnectedAt(string? connectionId) =>
        connectionId is not null && connectionId.StartsWith(ConnectionIdPrefix, StringComparison.Ordinal)
                                 && long.TryParse(connectionId.AsSpan(ConnectionIdPrefix.Length), out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;

    private static string Printable(string value) => new([.. value.Take(96).Select(c => char.IsControl(c) ? '?' : c)]);

    private sealed class Session(MqttOcppLink link)
    {
        public MqttOcppLink Link { get; } = link;

        public string? ConnectionId { get; set; }

        public Task Running { get; set; } = Task.CompletedTask;
    }
}

/// <summary>What EMQX says about a gateway client coming or going: when (connected_at, disconnected_at or ts, in ms), from where, why.</summary>
internal sealed record ConnectivityReport(DateTimeOffset At, string? RemoteAddress, string Reason)
{
    public static ConnectivityReport Parse(byte[] payload, DateTimeOffset now)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new ConnectivityReport(now, null, "Disconnected (EMQX)");
            }

            var at = Millis(root, "connected_at") ?? Millis(root, "disconnected_at") ?? Millis(root, "ts");
            var address = root.TryGetProperty("ipaddress", out var ip) && ip.ValueKind == JsonValueKind.String ? ip.GetString() : null;
            var reason = root.TryGetProperty("reason", out var why) && why.ValueKind == JsonValueKind.String ? $"Disconnected (EMQX: {why.GetString()})" : "Disconnected (EMQX)";
            return new ConnectivityReport(at is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : now, address, reason);
        }
        catch (JsonException)
        {
            return new ConnectivityReport(now, null, "Disconnected (EMQX)");
        }
    }

    private static long? Millis(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var ms) && ms > 0 ? ms : null;
}
