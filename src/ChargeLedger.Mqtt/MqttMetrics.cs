using System.Diagnostics.Metrics;
using ChargeLedger.Telemetry;

namespace ChargeLedger.Mqtt;

/// <summary>The "ChargeLedger.Mqtt" meter: what came in over MQTT and what became of it.</summary>
public sealed class MqttMetrics
{
    public const string MeterName = "ChargeLedger.Mqtt";

    private readonly Counter<long> _messages;
    private readonly Counter<long> _values;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _refusedConnections;
    private readonly Counter<long> _refusedPublishes;
    private readonly Counter<long> _refusedSubscriptions;
    private readonly Histogram<double> _ingestMs;

    public MqttMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _messages = meter.CreateCounter<long>("chargeledger.mqtt.messages", description: "Telemetry messages handed to the write side, by outcome");
        _values = meter.CreateCounter<long>("chargeledger.mqtt.values", description: "Tag values in recorded messages");
        _rejected = meter.CreateCounter<long>("chargeledger.mqtt.rejected", description: "Payloads dead-lettered, by reason");
        _refusedConnections = meter.CreateCounter<long>("chargeledger.mqtt.refused_connections", description: "CONNECTs refused, by reason code");
        _refusedPublishes = meter.CreateCounter<long>("chargeledger.mqtt.refused_publishes", description: "PUBLISHes outside the gateway's topic prefix");
        _refusedSubscriptions = meter.CreateCounter<long>("chargeledger.mqtt.refused_subscriptions", description: "SUBSCRIBEs outside the gateway's topic prefix");
        _ingestMs = meter.CreateHistogram<double>("chargeledger.mqtt.ingest_ms", unit: "ms", description: "Time from a parsed message to its commit");
    }

    public void Ingested(IngestOutcome outcome, int values, double elapsedMs)
    {
        _messages.Add(1, new KeyValuePair<string, object?>("outcome", outcome.ToString()));
        if (outcome == IngestOutcome.Recorded)
        {
            _values.Add(values);
        }

        _ingestMs.Record(elapsedMs);
    }

    public void Rejected(string kind) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", kind));

    public void RefusedConnection(string reasonCode) => _refusedConnections.Add(1, new KeyValuePair<string, object?>("reason", reasonCode));

    public void RefusedPublish() => _refusedPublishes.Add(1);

    public void RefusedSubscription() => _refusedSubscriptions.Add(1);
}
