using System.Net.WebSockets;
using System.Text;
using ChargeLedger.ChargePoints;
using ChargeLedger.Access;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wolverine;

namespace ChargeLedger.Ocpp.Gateway;

/// <summary>
/// ws://host/ocpp/{chargePointId}: authenticates before the upgrade (OCPP security profiles 1/2, HTTP Basic with
/// username = charge point id), negotiates ocpp1.6, and hands the socket to a <see cref="ChargePointConnection"/>.
/// A second connection for the same id replaces the first only once it has authenticated (RELIABILITY §0.1-2, A8).
/// </summary>
public sealed class OcppGateway(
    ConnectionRegistry registry,
    LedgerStore ledgerStore,
    PasswordHasher hasher,
    IOptions<OcppOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggers)
{
    public const string Subprotocol = "ocpp1.6";

    private readonly ILogger _security = loggers.CreateLogger("ChargeLedger.Security");
    private readonly ILogger _logger = loggers.CreateLogger<OcppGateway>();

    public async Task HandleAsync(HttpContext context, string chargePointId)
    {
        var remote = context.Connection.RemoteIpAddress?.ToString();
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            context.Response.Headers.Upgrade = "websocket";
            return;
        }

        string? failure;
        try
        {
            // A charge point waits at most this long for its credential check during a reconnect storm; after that it
            // is told to come back (503 + Retry-After) instead of holding a half-open handshake.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            deadline.CancelAfter(TimeSpan.FromSeconds(options.Value.AuthenticationWaitSeconds));
            failure = await AuthenticateAsync(context, chargePointId, deadline.Token);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            _logger.LogWarning("Credential check of {ChargePointId} could not start in time; asking it to retry", chargePointId);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "5";
            return;
        }

        if (failure is not null)
        {
            _security.LogWarning("OCPP connection refused for {ChargePointId} from {RemoteAddress}: {Reason}",
                Printable(chargePointId), remote, failure);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"ChargeLedger OCPP\", charset=\"UTF-8\"";
            return;
        }

        if (!context.WebSockets.WebSocketRequestedProtocols.Contains(Subprotocol, StringComparer.Ordinal))
        {
            _logger.LogInformation("Refusing {ChargePointId}: no supported subprotocol in {Offered}", chargePointId,
                string.Join(",", context.WebSockets.WebSocketRequestedProtocols));
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync($"Sec-WebSocket-Protocol must offer {Subprotocol}");
            return;
        }

        var ledger = await ledgerStore.LoadChargePointAsync(chargePointId, context.RequestAborted);
        if (ledger is null)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = Subprotocol,
            KeepAliveInterval = TimeSpan.FromSeconds(options.Value.PingIntervalSeconds),
            KeepAliveTimeout = TimeSpan.FromSeconds(options.Value.PingIntervalSeconds),
        });

        // The request's own scope lives exactly as long as the socket, so the connection's services come from it (a second
        // scope per connection cost ~0.7 KB of every idle connection's memory).
        var bus = context.RequestServices.GetRequiredService<IMessageBus>();
        var dispatcher = ActivatorUtilities.CreateInstance<V16Dispatcher>(context.RequestServices, bus);
        using var link = new WebSocketLink(socket, options.Value, time, loggers.CreateLogger<WebSocketLink>());
        using var connection = new ChargePointConnection(chargePointId, ledger, link, options.Value, dispatcher, time,
            loggers.CreateLogger<ChargePointConnection>());

        var previous = registry.Register(connection);
        try
        {
            await connection.RecordAsync(new RecordConnected(ledger, connection.ConnectionId, remote, previous?.ConnectionId), lifetime.ApplicationStopping);
            if (previous is not null)
            {
                _security.LogWarning("Connection {Old} of {ChargePointId} replaced by authenticated connection {New} from {RemoteAddress}",
                    previous.ConnectionId, chargePointId, connection.ConnectionId, remote);
                await previous.CloseAsync(WebSocketCloseStatus.PolicyViolation, "Replaced by a newer connection");
            }

            _logger.LogInformation("{ChargePointId} connected from {RemoteAddress} ({ConnectionId})", chargePointId, remote, connection.ConnectionId);
            await connection.RunAsync(token => link.ReceiveAsync(connection, token), lifetime.ApplicationStopping);
        }
        finally
        {
            await RecordDisconnectAsync(connection);
        }
    }

    private async Task RecordDisconnectAsync(ChargePointConnection connection)
    {
        if (!registry.Unregister(connection))
        {
            return; // replaced: the successor owns the charge point's connectivity now
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await connection.RecordAsync(new RecordDisconnected(connection.Ledger, connection.ConnectionId, connection.CloseReason), timeout.Token);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Could not record the disconnection of {ChargePointId}", connection.ChargePointId);
        }

        _logger.LogInformation("{ChargePointId} disconnected: {Reason}", connection.ChargePointId, connection.CloseReason);
    }

    /// <summary>Null when the request carries valid Basic credentials for this charge point; otherwise why not (for the security log).</summary>
    private async Task<string?> AuthenticateAsync(HttpContext context, string chargePointId, CancellationToken cancellationToken)
    {
        if (!StreamKeys.IsValidId(chargePointId))
        {
            return "malformed charge point id";
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return "no Authorization header";
        }

        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return "not Basic authentication";
        }

        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, true).GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (Exception ex) when (ex is FormatException or DecoderFallbackException)
        {
            return "malformed Basic credentials";
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return "malformed Basic credentials";
        }

        if (!string.Equals(decoded[..colon], chargePointId, StringComparison.Ordinal))
        {
            return "username does not match the charge point id";
        }

        var credential = await ledgerStore.LoadCredentialAsync(chargePointId, cancellationToken);
        if (credential is null)
        {
            return "unknown charge point";
        }

        return await ledgerStore.CheckPasswordAsync<ChargePointCredential>(hasher, chargePointId, decoded[(colon + 1)..],
            credential.PasswordHash, credential.PasswordVerifier, cancellationToken)
            ? null
            : "wrong password";
    }

    private static string Printable(string value) =>
        new([.. value.Take(64).Select(c => char.IsControl(c) ? '?' : c)]);
}

public static class OcppGatewayRegistration
{
    public static IServiceCollection AddOcppGateway(this IServiceCollection services)
    {
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<IChargePointPresence>(sp => sp.GetRequiredService<ConnectionRegistry>());
        services.AddSingleton(Schemas.OcppSchemaValidator.Ocpp16);
        services.AddSingleton<OcppGateway>();
        services.AddSingleton<Commands.IChargePointCalls, ChargePointCalls>();
        services.AddHostedService<SilenceWatchdog>();
        return services;
    }

    public static IEndpointConventionBuilder MapOcppGateway(this IEndpointRouteBuilder endpoints) =>
        endpoints.Map("/ocpp/{chargePointId}", (HttpContext context, string chargePointId, OcppGateway gateway) =>
            gateway.HandleAsync(context, chargePointId));
}
