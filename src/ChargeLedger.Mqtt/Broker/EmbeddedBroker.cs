using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ChargeLedger.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace ChargeLedger.Mqtt.Broker;

/// <summary>
/// Where the embedded broker listens (Port = 0 in configuration means "ask the OS"); set during the host's start,
/// so it is final once IHost.StartAsync has returned. 0 while the broker is disabled or not started.
/// </summary>
public sealed class MqttBrokerEndpoints
{
    public int Port { get; private set; }

    public int? TlsPort { get; private set; }

    internal void Bound(int port, int? tlsPort)
    {
        Port = port;
        TlsPort = tlsPort;
    }
}

/// <summary>
/// The embedded MQTT broker (MQTTnet.Server) for station gateways: authenticates every CONNECT against the write side,
/// binds the client id to the username, keeps each gateway inside its topic prefix, and records each telemetry
/// PUBLISH before it is acknowledged.
/// </summary>
/// <remarks>
/// PUBACK ordering, read in MQTTnet 5.2.0 (MqttConnectedClient.HandleIncomingPublishPacket): the InterceptingPublish
/// handler is awaited inside DispatchApplicationMessage, and only after it returns is the PUBACK (PUBREC for QoS 2)
/// enqueued — unless the handler set CloseConnection, in which case the client is stopped and no acknowledgement is
/// sent. So awaiting IngestAsync in the handler means a gateway's PUBACK implies a commit, and a failed commit leaves
/// the message unacknowledged, to be resent after the reconnect ([MQTT-4.4.0-1]; a gateway with a persistent session,
/// Clean Start 0, resends it; one that starts clean has given up on it by its own choice). Publishes of one connection are
/// handled one at a time (the receive loop awaits each), which also keeps a gateway's messages in order.
/// </remarks>
public sealed class EmbeddedBroker(
    IOptions<MqttOptions> options,
    MqttBrokerEndpoints endpoints,
    IServiceScopeFactory scopes,
    TelemetryAdapter adapter,
    MqttMetrics metrics,
    ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _security = loggers.CreateLogger("ChargeLedger.Security");
    private readonly ILogger _logger = loggers.CreateLogger<EmbeddedBroker>();

    /// <summary>
    /// The identity from each gateway's latest successful CONNECT, by client id (= gateway id). Not kept in MQTTnet's
    /// session items: a resumed persistent session keeps the items of the CONNECT that created it, which would pin a
    /// topic prefix the operator has since changed.
    /// </summary>
    private readonly ConcurrentDictionary<string, GatewayIdentity> _gateways = new(StringComparer.Ordinal);
    private MqttServer? _server;
    private X509Certificate2? _certificate;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            _logger.LogInformation("Embedded MQTT broker disabled (ChargeLedger:Mqtt:Enabled = false)");
            return;
        }

        var address = IPAddress.Parse(settings.BindAddress);
        var builder = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointPort(settings.Port)
            // Also how long a new socket may take to send CONNECT (MQTTnet's default is 100 s): an idle or slow
            // unauthenticated socket is dropped after 10 s ([MQTT-3.1.4-1] leaves the wait to the server).
            .WithDefaultCommunicationTimeout(TimeSpan.FromSeconds(10))
            // A gateway that reconnects with Clean Start 0 must find its session (CONNACK Session Present 1), or an
            // MQTT 5 client discards its unacknowledged PUBLISHes instead of resending them ([MQTT-4.4.0-1],
            // [MQTT-3.2.2-5]). Sessions stay small: nothing is routed to them, and there is one per gateway id.
            .WithPersistentSessions();
        var serverOptions = builder.Build();
        Bind(serverOptions.DefaultEndpointOptions, address);
        if (settings.TlsConfigured)
        {
            _certificate = X509CertificateLoader.LoadPkcs12FromFile(settings.CertificatePath!, settings.CertificatePassword);
            serverOptions.TlsEndpointOptions.IsEnabled = true;
            serverOptions.TlsEndpointOptions.Port = settings.TlsPort!.Value;
            serverOptions.TlsEndpointOptions.CertificateProvider = new MQTTnet.Certificates.X509CertificateProvider(_certificate);
            Bind(serverOptions.TlsEndpointOptions, address);
        }

        var server = new MqttServerFactory().CreateMqttServer(serverOptions);
        server.ValidatingConnectionAsync += ValidateConnectionAsync;
        server.InterceptingPublishAsync += InterceptPublishAsync;
        server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        server.InterceptingOutboundPacketAsync += AdvertiseMaximumPacketSizeAsync;
        await server.StartAsync();
        _server = server;

        var tlsPort = settings.TlsConfigured ? serverOptions.TlsEndpointOptions.Port : (int?)null;
        endpoints.Bound(serverOptions.DefaultEndpointOptions.Port, tlsPort);
        _logger.LogInformation("Embedded MQTT broker listening on {Address}:{Port}{Tls}", address, endpoints.Port,
            tlsPort is null ? "" : $" and TLS :{tlsPort}");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { IsStarted: true } server)
        {
            await server.StopAsync();
        }
    }

    public ValueTask DisposeAsync()
    {
        _server?.Dispose();
        _server = null;
        _certificate?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>MQTTnet listens on IPv4 and IPv6 "any" by default; only the configured address is bound here.</summary>
    private static void Bind(MqttServerTcpEndpointBaseOptions endpoint, IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            endpoint.BoundInterNetworkAddress = IPAddress.None;
            endpoint.BoundInterNetworkV6Address = address;
        }
        else
        {
            endpoint.BoundInterNetworkAddress = address;
            endpoint.BoundInterNetworkV6Address = IPAddress.None;
        }
    }

    private async Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        var remote = e.RemoteEndPoint?.ToString();
        if (string.IsNullOrEmpty(e.UserName))
        {
            // Anonymous access is refused outright (DESIGN rule 7); "not authorized" rather than "bad credentials"
            // because none were offered. 3.1.1 clients see 0x05 ([MQTT-3.2.2-3] table 3.1).
            Refuse(e, MqttConnectReasonCode.NotAuthorized, "no username", remote);
            return;
        }

        // Checked before the password so that a mismatched id costs no PBKDF2 round; it also means user X can never
        // present gateway A's client id, so X can never take over A's session ([MQTT-3.1.4-2] takeover is by client id).
        if (!string.Equals(e.ClientId, e.UserName, StringComparison.Ordinal))
        {
            Refuse(e, MqttConnectReasonCode.ClientIdentifierNotValid, "client id differs from the username", remote);
            return;
        }

        if (e.RawPassword is null || e.RawPassword.Length == 0)
        {
            Refuse(e, MqttConnectReasonCode.BadUserNameOrPassword, "no password", remote);
            return;
        }

        GatewayIdentity? gateway;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var ingress = scope.ServiceProvider.GetRequiredService<ITelemetryIngress>();
            gateway = await ingress.AuthenticateAsync(e.UserName, e.Password, e.CancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !e.CancellationToken.IsCancellationRequested)
        {
            _logger.LogError(ex, "Credential check of MQTT client {ClientId} failed", Printable(e.ClientId));
            Refuse(e, MqttConnectReasonCode.ServerUnavailable, "credential check failed", remote);
            return;
        }

        // Unknown user and wrong password get the same answer: the CONNACK must not tell which usernames exist.
        if (gateway is null)
        {
            Refuse(e, MqttConnectReasonCode.BadUserNameOrPassword, "unknown user or wrong password", remote);
            return;
        }

        if (!string.Equals(gateway.GatewayId, e.ClientId, StringComparison.Ordinal))
        {
            Refuse(e, MqttConnectReasonCode.ClientIdentifierNotValid, $"client id differs from gateway id {gateway.GatewayId}", remote);
            return;
        }

        _gateways[gateway.GatewayId] = gateway;
        _logger.LogInformation("Gateway {GatewayId} connected over MQTT from {RemoteAddress}", gateway.GatewayId, remote);
    }

    private void Refuse(ValidatingConnectionEventArgs e, MqttConnectReasonCode code, string why, string? remote)
    {
        e.ReasonCode = code;
        metrics.RefusedConnection(code.ToString());
        _security.LogWarning("MQTT connection refused for client {ClientId} user {UserName} from {RemoteAddress}: {Reason} ({ReasonCode})",
            Printable(e.ClientId), Printable(e.UserName), remote, why, code);
    }

    private async Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        // The broker is an ingest endpoint, not a router: nothing is forwarded or retained, and with no subscriber
        // the MQTT 5 PUBACK is still Success rather than NoMatchingSubscribers.
        e.ProcessPublish = false;
        var topic = e.ApplicationMessage.Topic;
        if (!_gateways.TryGetValue(e.ClientId, out var gateway))
        {
            e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            return;
        }

        if (!TopicPrefix.Covers(gateway.TopicPrefix, topic))
        {
            // MQTT 5 gets PUBACK 0x87; a 3.1.1 PUBACK has no reason code, so there the message is silently dropped
            // ([MQTT-3.3.5-2] allows either).
            e.Response.ReasonCode = MqttPubAckReasonCode.NotAuthorized;
            metrics.RefusedPublish();
            _security.LogWarning("Gateway {GatewayId} may not publish to {Topic} (prefix {TopicPrefix}); dropped",
                gateway.GatewayId, Printable(topic), gateway.TopicPrefix);
            return;
        }

        try
        {
            // Per message: the write side's ingress may hold a unit of work (a Marten session).
            await using var scope = scopes.CreateAsyncScope();
            var ingress = scope.ServiceProvider.GetRequiredService<ITelemetryIngress>();
            await adapter.HandleAsync(ingress, gateway, topic, e.ApplicationMessage.Payload, options.Value.MaxPayloadBytes, e.CancellationToken);
        }
        catch (Exception ex)
        {
            // Nothing committed: no PUBACK. Closing the connection makes the gateway resend after its reconnect
            // (QoS 1, [MQTT-4.4.0-1]); MQTTnet sends no acknowledgement once CloseConnection is set.
            e.CloseConnection = true;
            if (!e.CancellationToken.IsCancellationRequested)
            {
                _logger.LogError(ex, "Telemetry from {GatewayId} on {Topic} not recorded; closing the connection so it is resent",
                    gateway.GatewayId, topic);
            }
        }
    }

    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        var filter = e.TopicFilter.Topic;
        if (_gateways.TryGetValue(e.ClientId, out var gateway) && TopicPrefix.CoversFilter(gateway.TopicPrefix, filter))
        {
            return Task.CompletedTask;
        }

        // SUBACK 0x87 (3.1.1: 0x80 Failure, [MQTT-3.9.3]).
        e.ProcessSubscription = false;
        e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        metrics.RefusedSubscription();
        _security.LogWarning("Client {ClientId} may not subscribe to {Filter}; refused", Printable(e.ClientId), Printable(filter));
        return Task.CompletedTask;
    }

    /// <summary>
    /// MQTTnet 5.2 enforces no packet size itself (MqttChannelAdapter reads any remaining length), but an MQTT 5 client
    /// must respect the Maximum Packet Size announced in CONNACK [MQTT-3.2.2-15]: the payload limit plus room for the
    /// topic and properties. Larger payloads that arrive anyway are dead-lettered by the adapter.
    /// </summary>
    private Task AdvertiseMaximumPacketSizeAsync(InterceptingPacketEventArgs e)
    {
        if (e.Packet is MqttConnAckPacket connAck && connAck.ReasonCode == MqttConnectReasonCode.Success)
        {
            connAck.MaximumPacketSize = (uint)options.Value.MaxPayloadBytes + 70_000;
        }

        return Task.CompletedTask;
    }

    private static string Printable(string? value) =>
        value is null ? "" : new([.. value.Take(64).Select(c => char.IsControl(c) ? '?' : c)]);
}
