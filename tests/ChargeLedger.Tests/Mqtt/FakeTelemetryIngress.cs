using System.Collections.Concurrent;
using System.Threading.Channels;
using ChargeLedger.Telemetry;

namespace ChargeLedger.Tests.Mqtt;

/// <summary>An in-memory write side: gateways with passwords, and every call recorded per gateway (no database).</summary>
public sealed class FakeTelemetryIngress : ITelemetryIngress
{
    private readonly ConcurrentDictionary<string, (string Password, GatewayIdentity Identity)> _gateways = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Channel<NeuronMessage>> _ingested = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Channel<RejectedTelemetry>> _rejected = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Func<NeuronMessage, CancellationToken, Task<IngestOutcome>>> _behaviour = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);

    /// <summary>A new gateway with a unique id, so tests sharing a broker never see each other's messages.</summary>
    public GatewayIdentity AddGateway(string password = "secret-pw", string? id = null, string? topicPrefix = null)
    {
        id ??= $"GW-{Guid.NewGuid():N}"[..11];
        var identity = new GatewayIdentity(id, "ST-1", topicPrefix ?? $"/neuron/{id}");
        _gateways[id] = (password, identity);
        return identity;
    }

    /// <summary>Replaces IngestAsync for one gateway (block, throw, count).</summary>
    public void OnIngest(string gatewayId, Func<NeuronMessage, CancellationToken, Task<IngestOutcome>> behaviour) => _behaviour[gatewayId] = behaviour;

    public int IngestAttempts(string gatewayId) => _attempts.GetValueOrDefault(gatewayId);

    public ValueTask<GatewayIdentity?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_gateways.TryGetValue(username, out var gateway) && gateway.Password == password ? gateway.Identity : null);

    public ValueTask<GatewayIdentity?> GatewayForTopicAsync(string topic, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_gateways.Values.Select(g => g.Identity)
            .FirstOrDefault(g => topic.StartsWith(g.TopicPrefix + "/", StringComparison.Ordinal)));

    public async Task<IngestOutcome> IngestAsync(NeuronMessage message, CancellationToken cancellationToken)
    {
        _attempts.AddOrUpdate(message.GatewayId, 1, (_, n) => n + 1);
        var outcome = _behaviour.TryGetValue(message.GatewayId, out var behaviour)
            ? await behaviour(message, cancellationToken)
            : IngestOutcome.Recorded;
        Ingested(message.GatewayId).Writer.TryWrite(message);
        return outcome;
    }

    public Task RejectAsync(RejectedTelemetry rejected, CancellationToken cancellationToken)
    {
        Rejections(rejected.GatewayId ?? rejected.Topic).Writer.TryWrite(rejected);
        return Task.CompletedTask;
    }

    /// <summary>The next message recorded for the gateway, waiting at most <paramref name="timeout"/>.</summary>
    public Task<NeuronMessage> NextIngestedAsync(string gatewayId, TimeSpan? timeout = null) => ReadAsync(Ingested(gatewayId), timeout);

    /// <summary>The next dead letter for the gateway (or, without one, the topic), waiting at most <paramref name="timeout"/>.</summary>
    public Task<RejectedTelemetry> NextRejectedAsync(string gatewayIdOrTopic, TimeSpan? timeout = null) => ReadAsync(Rejections(gatewayIdOrTopic), timeout);

    /// <summary>A read that gives up by cancelling, so an abandoned read cannot swallow the next item.</summary>
    private static async Task<T> ReadAsync<T>(Channel<T> channel, TimeSpan? timeout)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            return await channel.Reader.ReadAsync(cancel.Token);
        }
        catch (OperationCanceledException ex)
        {
            throw new TimeoutException("nothing arrived in time", ex);
        }
    }

    /// <summary>Everything recorded for the gateway and not yet read.</summary>
    public IReadOnlyList<NeuronMessage> Drain(string gatewayId)
    {
        var drained = new List<NeuronMessage>();
        while (Ingested(gatewayId).Reader.TryRead(out var message))
        {
            drained.Add(message);
        }

        return drained;
    }

    public bool HasIngested(string gatewayId) => Ingested(gatewayId).Reader.Count > 0;

    public bool HasRejected(string gatewayIdOrTopic) => Rejections(gatewayIdOrTopic).Reader.Count > 0;

    private Channel<NeuronMessage> Ingested(string gatewayId) => _ingested.GetOrAdd(gatewayId, _ => Channel.CreateUnbounded<NeuronMessage>());

    private Channel<RejectedTelemetry> Rejections(string key) => _rejected.GetOrAdd(key, _ => Channel.CreateUnbounded<RejectedTelemetry>());
}
