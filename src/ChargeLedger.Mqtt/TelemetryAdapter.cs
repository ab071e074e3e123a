using System.Buffers;
using System.Diagnostics;
using ChargeLedger.Mqtt.Neuron;
using ChargeLedger.Telemetry;

namespace ChargeLedger.Mqtt;

/// <summary>
/// One MQTT telemetry message into the write side, for the embedded broker and the external-broker consumer alike:
/// parse, then record or dead-letter. Returns only after the write side committed; an exception means nothing was
/// committed and the caller must not acknowledge the message (ITelemetryIngress).
/// </summary>
public sealed class TelemetryAdapter(MqttMetrics metrics, TimeProvider time)
{
    public async Task HandleAsync(ITelemetryIngress ingress, GatewayIdentity gateway, string topic, ReadOnlySequence<byte> payload, int maxPayloadBytes,
        CancellationToken cancellationToken)
    {
        var receivedAt = time.GetUtcNow();
        if (payload.Length > maxPayloadBytes)
        {
            await RejectAsync(ingress, gateway.GatewayId, topic, new NeuronRejection(NeuronRejection.TooLarge,
                $"payload of {payload.Length} bytes is larger than the limit of {maxPayloadBytes}"), payload, receivedAt, cancellationToken);
            return;
        }

        if (!NeuronPayload.TryParse(payload, gateway.GatewayId, topic, receivedAt, out var message, out var rejection))
        {
            await RejectAsync(ingress, gateway.GatewayId, topic, rejection, payload, receivedAt, cancellationToken);
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var outcome = await ingress.IngestAsync(message, cancellationToken);
        metrics.Ingested(outcome, message.Tags.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    public Task RejectAsync(ITelemetryIngress ingress, string? gatewayId, string topic, NeuronRejection rejection, ReadOnlySequence<byte> payload,
        DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        metrics.Rejected(rejection.Kind);
        return ingress.RejectAsync(new RejectedTelemetry(gatewayId, topic, rejection.Reason, NeuronPayload.ForStorage(payload), receivedAt),
            cancellationToken);
    }
}
