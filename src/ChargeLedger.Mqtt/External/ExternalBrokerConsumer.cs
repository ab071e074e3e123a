using ChargeLedger.Mqtt.Neuron;
using ChargeLedger.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;

namespace ChargeLedger.Mqtt.External;

/// <summary>
/// Consumes Neuron telemetry from an external broker (Mosquitto, EMQX) when ChargeLedger:Mqtt:ExternalBroker:Host is set,
/// acknowledging each message only once it is recorded (<see cref="ExternalBrokerClient"/>).
/// </summary>
public sealed class ExternalBrokerConsumer(
    IOptions<MqttOptions> options,
    IServiceScopeFactory scopes,
    TelemetryAdapter adapter,
    TimeProvider time,
    ILogger<ExternalBrokerConsumer> logger) : BackgroundService
{
    public const string NoGatewayReason = "no gateway owns this topic";

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.ExternalBroker;
        if (!settings.Configured)
        {
            return Task.CompletedTask;
        }

        var client = new ExternalBrokerClient(settings, settings.ClientId, settings.Filters, time, logger);
        return client.RunAsync(HandleAsync, stoppingToken);
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
}
