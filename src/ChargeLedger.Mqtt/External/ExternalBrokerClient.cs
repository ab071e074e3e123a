using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace ChargeLedger.Mqtt.External;

/// <summary>
/// One MQTT 5 client of ours on the external broker (Mosquitto, EMQX), kept connected with backoff. A persistent session
/// (Clean Start 0 plus a session expiry, [MQTT-3.1.2-4], [MQTT-3.1.2-23]) and manual QoS 1 acknowledgement once a
/// message is handled mean that whatever was not handled stays with the broker and is delivered again when we come
/// back (RELIABILITY D5, D6). Used by the telemetry consumer and the OCPP bridge, each under its own client id.
/// </summary>
public sealed class ExternalBrokerClient(ExternalBrokerOptions settings, string clientId, IReadOnlyList<string> filters, TimeProvider time, ILogger logger)
{
    private readonly MqttClientFactory _factory = new();
    private volatile IMqttClient? _connected;

    /// <summary>The client while it is connected and subscribed, for publishing; null in between.</summary>
    public IMqttClient? Connected => _connected;

    /// <summary>
    /// Connects, subscribes and hands every message to <paramref name="handle"/>; acknowledges it when the handler
    /// returns. A handler that throws ends the session (MQTT 5 forbids resending within one, [MQTT-4.4.0-1]), so the
    /// message comes again after the reconnect. Runs until <paramref name="stoppingToken"/>.
    /// </summary>
    public async Task RunAsync(Func<MqttApplicationMessage, CancellationToken, Task> handle, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(settings.ReconnectMinDelayMilliseconds);
        var maxDelay = TimeSpan.FromMilliseconds(Math.Max(settings.ReconnectMinDelayMilliseconds, settings.ReconnectMaxDelayMilliseconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await RunSessionAsync(handle, stoppingToken))
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
            logger.LogInformation("Reconnecting {ClientId} to {Host}:{Port} in {DelayMs:0} ms", clientId, settings.Host, settings.Port, wait.TotalMilliseconds);
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

    /// <summary>One connection, until it drops or a message could not be handled; true when it got as far as subscribing.</summary>
    private async Task<bool> RunSessionAsync(Func<MqttApplicationMessage, CancellationToken, Task> handle, CancellationToken stoppingToken)
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
                await handle(e.ApplicationMessage, stoppingToken);
                await e.AcknowledgeAsync(stoppingToken);
            }
            catch (Exception ex)
            {
                if (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(ex, "Message on {Topic} not handled; reconnecting so the broker delivers it again", e.ApplicationMessage.Topic);
                }

                ended.TrySetResult("a message could not be handled");
            }
        };

        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(settings.Host, settings.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(clientId)
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
            logger.LogError("External MQTT broker {Host}:{Port} refused {ClientId}: {ResultCode} {Reason}",
                settings.Host, settings.Port, clientId, connected.ResultCode, connected.ReasonString);
            return false;
        }

        // Subscribing again on a resumed session is harmless and picks up a changed filter list.
        var subscribe = _factory.CreateSubscribeOptionsBuilder();
        foreach (var filter in filters)
        {
            subscribe.WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce);
        }

        var subscribed = await client.SubscribeAsync(subscribe.Build(), connectTimeout.Token);
        foreach (var item in subscribed.Items.Where(i => (int)i.ResultCode >= 0x80))
        {
            logger.LogError("External MQTT broker refused the subscription {Filter}: {ResultCode}", item.TopicFilter.Topic, item.ResultCode);
        }

        logger.LogInformation("Connected to {Host}:{Port} as {ClientId} ({Filters}; session present: {SessionPresent})",
            settings.Host, settings.Port, clientId, string.Join(", ", filters), connected.IsSessionPresent);

        string why;
        _connected = client;
        try
        {
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
        }
        finally
        {
            _connected = null;
        }

        logger.LogWarning("{ClientId} left the external MQTT broker session: {Reason}", clientId, why);
        await DisconnectQuietlyAsync(client);
        return true;
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
