using ChargeLedger.Mqtt.Neuron;
using ChargeLedger.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace ChargeLedger.Mqtt.External;

/// <summary>
/// Consumes Neuron telemetry from an external broker (Mosquitto, EMQX) when ChargeLedger:Mqtt:ExternalBroker:Host is set.
/// A persistent session (Clean Start 0 plus a session expiry, [MQTT-3.1.2-4], [MQTT-3.1.2-23]) and manual QoS 1
/// acknowledgement after the commit mean that whatever was not recorded stays with the broker and is delivered again
/// when we come back (RELIABILITY D5, D6).
/// </summary>
public sealed class ExternalBrokerConsumer(
    IOptions<MqttOptions> options,
    IServiceScopeFactory scopes,
    TelemetryAdapter adapter,
    TimeProvider time,
    ILogger<ExternalBrokerConsumer> logger) : BackgroundService
{
    public const string NoGatewayReason = "no gateway owns this topic";

    private readonly MqttClientFactory _factory = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.ExternalBroker;
        if (!settings.Configured)
        {
            return;
        }

        var delay = TimeSpan.FromMilliseconds(settings.ReconnectMinDelayMilliseconds);
        var maxDelay = TimeSpan.FromMilliseconds(Math.Max(settings.ReconnectMinDelayMilliseconds, settings.ReconnectMaxDelayMilliseconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await RunSessionAsync(settings, stoppingToken))
                {
                    delay = TimeSpan.FromMilliseconds(settings.ReconnectMinDelayMilliseconds);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "External MQTT broker {Host}:{Port} unavailable", settings.Host, settings.Port);
            }

            // Exponential backoff with jitter so that several nodes do not reconnect in lockstep after a broker restart.
            var wait = delay * (0.75 + (Random.Shared.NextDouble() / 2));
            logger.LogInformation("Reconnecting to {Host}:{Port} in {DelayMs:0} ms", settings.Host, settings.Port, wait.TotalMilliseconds);
            try
            {
                await Task.Delay(wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(maxDelay.Ticks, delay.Ticks * 2));
        }
    }

    /// <summary>One connection, until it drops or a message could not be recorded; true when it got as far as subscribing.</summary>
    private async Task<bool> RunSessionAsync(ExternalBrokerOptions settings, CancellationToken stoppingToken)
    {
        using var client = _factory.CreateMqttClient();
        var ended = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += e =>
        {
            ended.TrySetResult($"disconnected: {e.Reason} {e.ReasonString}");
            return Task.CompletedTask;
        };
        // Registered before CONNECT: with a session present the broker resends queued messages right after CONNACK.
        client.ApplicationMessageReceivedAsync += async e =>
        {
            e.AutoAcknowledge = false;
            if (ended.Task.IsCompleted)
            {
                return; // leaving it unacknowledged; the broker resends it in the next session
            }

            try
            {
                await HandleAsync(e.ApplicationMessage, stoppingToken);
                await e.AcknowledgeAsync(stoppingToken);
            }
            catch (Exception ex)
            {
                if (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(ex, "Telemetry on {Topic} not recorded; reconnecting so the broker delivers it again", e.ApplicationMessage.Topic);
                }

                // MQTT 5 forbids resending within a session ([MQTT-4.4.0-1]), so the only way to get it again is a new
                // connection; the loop disconnects, backs off and reconnects with the same session.
                ended.TrySetResult("a message could not be recorded");
            }
        };

        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(settings.Host, settings.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(settings.ClientId)
            .WithCleanStart(false)
            .WithSessionExpiryInterval((uint)settings.SessionExpirySeconds)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(30))
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (!string.IsNullOrEmpty(settings.Username))
        {
            builder.WithCredentials(settings.Username, settings.Password);
        }

        if (settings.UseTls)
        {
            builder.WithTlsOptions(o => o.UseTls());
        }

        using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        connectTimeout.CancelAfter(TimeSpan.FromSeconds(15));
        var connected = await client.ConnectAsync(builder.Build(), connectTimeout.Token);
        if (connected.ResultCode != MqttClientConnectResultCode.Success)
        {
            logger.LogError("External MQTT broker {Host}:{Port} refused the connection: {ResultCode} {Reason}",
                settings.Host, settings.Port, connected.ResultCode, connected.ReasonString);
            return false;
        }

        // Subscribing again on a resumed session is harmless and picks up a changed Topics list.
        var subscribe = _factory.CreateSubscribeOptionsBuilder();
        foreach (var filter in settings.Filters)
        {
            subscribe.WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var subscribed = await client.SubscribeAsync(subscribe.Build(), connectTimeout.Token);
        foreach (var item in subscribed.Items.Where(i => (int)i.ResultCode >= 0x80))
        {
            logger.LogError("External MQTT broker refused the subscription {Filter}: {ResultCode}", item.TopicFilter.Topic, item.ResultCode);
        }

        logger.LogInformation("Consuming telemetry from {Host}:{Port} as {ClientId} ({Filters}; session present: {SessionPresent})",
            settings.Host, settings.Port, settings.ClientId, string.Join(", ", settings.Filters), connected.IsSessionPresent);

        string why;
        using (stoppingToken.Register(() => ended.TrySetCanceled(stoppingToken)))
        {
            try
            {
                why = await ended.Task;
            }
            catch (OperationCanceledException)
            {
                await DisconnectQuietlyAsync(client);
                throw;
            }
        }

        logger.LogWarning("Left the external MQTT broker session: {Reason}", why);
        await DisconnectQuietlyAsync(client);
        return true;
    }

    private async Task HandleAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var ingress = scope.ServiceProvider.GetRequiredService<ITelemetryIngress>();
        var topic = message.Topic;
        // Behind an external broker the publisher's username is not visible; the topic decides which gateway it is.
        var gateway = await ingress.GatewayForTopicAsync(topic, cancellationToken);
        if (gateway is null)
        {
            await adapter.RejectAsync(ingress, null, topic, new NeuronRejection(NeuronRejection.NoGateway, NoGatewayReason),
                message.Payload, time.GetUtcNow(), cancellationToken);
            return;
        }

        await adapter.HandleAsync(ingress, gateway, topic, message.Payload, options.Value.MaxPayloadBytes, cancellationToken);
    }

    private static async Task DisconnectQuietlyAsync(IMqttClient client)
    {
        if (!client.IsConnected)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), timeout.Token);
        }
        catch (Exception)
        {
            // Already gone; the session stays with the broker either way.
        }
    }
}
