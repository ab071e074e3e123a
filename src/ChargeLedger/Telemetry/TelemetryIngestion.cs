using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.Gateways;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using Marten;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChargeLedger.Telemetry;

/// <summary>
/// Station telemetry into the event store (issue 4): a Neuron message becomes one <see cref="TelemetryRecorded"/> per
/// mapped device on that device's stream, committed through the ledger's group commit (many gateways' messages share one
/// PostgreSQL commit, never one commit per message) together with the message's <see cref="TelemetryMessageKey"/>, which
/// makes a redelivery a no-op. What cannot be recorded is kept as a dead letter with the reason; it never stops ingestion.
/// </summary>
public sealed class TelemetryIngestion(
    IDocumentStore store,
    LedgerWriter writer,
    LedgerStore ledger,
    PasswordHasher hasher,
    TimeProvider time,
    IOptions<TelemetryOptions> options,
    ILogger<TelemetryIngestion> logger) : ITelemetryIngress
{
    private static readonly Meter Meter = new("ChargeLedger.Telemetry");
    private static readonly Counter<long> Messages = Meter.CreateCounter<long>("chargeledger.telemetry.messages", description: "Gateway messages by outcome");
    private static readonly Counter<long> Values = Meter.CreateCounter<long>("chargeledger.telemetry.values", description: "Tag values recorded");
    private static readonly Counter<long> DeadLetters = Meter.CreateCounter<long>("chargeledger.telemetry.dead_letters",
        description: "Payloads or tags that could not be recorded, by reason");
    private static readonly Counter<long> Suppressed = Meter.CreateCounter<long>("chargeledger.telemetry.dead_letters_suppressed",
        description: "Dead letters only counted, over a gateway's per-minute allowance");

    private readonly TelemetryOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, CachedGateway> _gateways = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DeadLetterWindow> _deadLetterWindows = new(StringComparer.Ordinal);
    private CachedAccounts? _accounts;

    /// <summary>Drops what this node remembers of a gateway (after its registration or device map changed here).</summary>
    public void Forget(string gatewayId)
    {
        _gateways.TryRemove(gatewayId, out _);
        _accounts = null;
    }

    public async ValueTask<GatewayIdentity?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken)
    {
        if (!StreamKeys.IsValidId(username) || password.Length == 0)
        {
            return null;
        }

        await using var session = store.QuerySession();
        if (await session.LoadAsync<GatewayAccount>(username, cancellationToken) is not { } account)
        {
            return null;
        }

        // A chosen password's PBKDF2 (~0.2 s of CPU) runs once per process, or once per key with a verifier key; a
        // generated password is an HMAC check (PasswordHasher).
        return await ledger.CheckPasswordAsync<GatewayAccount>(hasher, username, password, account.PasswordHash, account.PasswordVerifier,
            cancellationToken)
            ? new GatewayIdentity(account.Id, account.StationId, account.TopicPrefix)
            : null;
    }

    public async ValueTask<GatewayIdentity?> GatewayForTopicAsync(string topic, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var accounts = _accounts;
        if (accounts is null || accounts.ReadAt + CacheTime < now)
        {
            await using var session = store.QuerySession();
            var all = await session.Query<GatewayAccount>().ToListAsync(cancellationToken);
            accounts = _accounts = new CachedAccounts([.. all.Select(a => new GatewayIdentity(a.Id, a.StationId, a.TopicPrefix))], now);
        }

        return accounts.Gateways.FirstOrDefault(g => Gateway.OwnsTopic(g.TopicPrefix, topic));
    }

    public async Task<IngestOutcome> IngestAsync(NeuronMessage message, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (message.Timestamp < now.AddHours(-_options.MaxAgeHours))
        {
            return await DeadLetterAsync(message, "too_old", $"Timestamp {message.Timestamp:O} is more than {_options.MaxAgeHours} h old.", cancellationToken);
        }

        if (message.Timestamp > now.AddSeconds(_options.MaxFutureSeconds))
        {
            return await DeadLetterAsync(message, "future", $"Timestamp {message.Timestamp:O} is more than {_options.MaxFutureSeconds} s ahead of the server clock.",
                cancellationToken);
        }

        if (await GatewayAsync(message.GatewayId, now, cancellationToken) is not { } gateway)
        {
            return await DeadLetterAsync(message, "unknown_gateway", $"Unknown gateway {message.GatewayId}.", cancellationToken);
        }

        var devices = new Dictionary<string, (DeviceMapping Device, List<TelemetrySample> Samples)>(StringComparer.Ordinal);
        List<string>? unknown = null;
        List<string>? unscalable = null;
        foreach (var tag in message.Tags)
        {
            if (!gateway.Map.TryGetValue((message.Node, tag.Name), out var mapping))
            {
                (unknown ??= []).Add(tag.Name);
                continue;
            }

            if (!TryScale(tag.Value, mapping.Scale, out var value))
            {
                (unscalable ??= []).Add(tag.Name);
                continue;
            }

            if (!devices.TryGetValue(mapping.DeviceId, out var entry))
            {
                devices[mapping.DeviceId] = entry = (mapping, []);
            }

            entry.Samples.Add(new TelemetrySample(tag.Name, mapping.Measurand, mapping.Unit, value, tag.ErrorCode));
        }

        if (devices.Count == 0)
        {
            var knownNode = gateway.Nodes.Contains(message.Node);
            var reason = knownNode
                ? $"No tag of node {message.Node} is mapped: {Names(unknown)}{(unscalable is null ? "" : $"; out of range: {Names(unscalable)}")}."
                : $"Unknown node {message.Node} (not in gateway {gateway.Id}'s device map).";
            return await DeadLetterAsync(message, knownNode ? "unknown_tags" : "unknown_node", reason, cancellationToken);
        }

        var appends = new List<StreamAppend>(devices.Count);
        var count = 0;
        foreach (var (deviceId, (device, samples)) in devices)
        {
            appends.Add(new StreamAppend(StreamKeys.Device(deviceId), StreamAppend.AnyVersion,
                [new TelemetryRecorded(deviceId, gateway.StationId, gateway.Id, device.Kind, message.Timestamp, samples)]));
            count += samples.Count;
        }

        try
        {
            await writer.CommitAsync(new LedgerChange(appends, [new TelemetryMessageKey { Id = TelemetryMessageKey.For(message), MeasuredAt = message.Timestamp }], []),
                cancellationToken);
        }
        catch (Exception ex) when (LedgerPipeline.IsConflict(ex))
        {
            Messages.Add(1, new KeyValuePair<string, object?>("outcome", "duplicate"));
            return IngestOutcome.Duplicate;
        }

        Messages.Add(1, new KeyValuePair<string, object?>("outcome", "recorded"));
        Values.Add(count);
        if (unknown is not null || unscalable is not null)
        {
            // The mapped tags are recorded; the rest is kept for the operator to map (or fix at the gateway).
            await RecordDeadLetterAsync(message.GatewayId, message.Topic, unknown is not null ? "unknown_tags" : "out_of_range",
                $"Recorded {count} tag(s) of node {message.Node}; not mapped: {Names(unknown)}; out of range: {Names(unscalable)}.",
                Render(message), cancellationToken);
        }

        return IngestOutcome.Recorded;
    }

    public Task RejectAsync(RejectedTelemetry rejected, CancellationToken cancellationToken) =>
        RecordDeadLetterAsync(rejected.GatewayId, rejected.Topic, "payload", rejected.Reason, rejected.Payload, cancellationToken, rejected.ReceivedAt);

    private async Task<IngestOutcome> DeadLetterAsync(NeuronMessage message, string kind, string reason, CancellationToken cancellationToken)
    {
        Messages.Add(1, new KeyValuePair<string, object?>("outcome", "dead_lettered"));
        await RecordDeadLetterAsync(message.GatewayId, message.Topic, kind, reason, Render(message), cancellationToken, message.ReceivedAt);
        return IngestOutcome.DeadLettered;
    }

    private async Task RecordDeadLetterAsync(string? gatewayId, string topic, string kind, string reason, string payload, CancellationToken cancellationToken,
        DateTimeOffset? receivedAt = null)
    {
        DeadLetters.Add(1, new KeyValuePair<string, object?>("reason", kind));
        var now = time.GetUtcNow();
        var window = _deadLetterWindows.AddOrUpdate(gatewayId ?? "", _ => new DeadLetterWindow(now, 1),
            (_, w) => now - w.Start >= TimeSpan.FromMinutes(1) ? new DeadLetterWindow(now, 1) : w with { Count = w.Count + 1 });
        if (window.Count > _options.DeadLettersPerMinute)
        {
            Suppressed.Add(1);
            if (window.Count == _options.DeadLettersPerMinute + 1)
            {
                logger.LogWarning("Gateway {GatewayId} sent more than {Limit} unrecordable payloads this minute; further ones are only counted",
                    gatewayId, _options.DeadLettersPerMinute);
            }

            return;
        }

        var letter = new TelemetryDeadLetter
        {
            Id = Guid.CreateVersion7(now),
            ReceivedAt = receivedAt ?? now,
            GatewayId = gatewayId,
            Topic = topic,
            Reason = reason,
            Payload = Cut(payload, _options.DeadLetterPayloadBytes),
        };
        await writer.CommitAsync(new LedgerChange([], [letter], []), cancellationToken);
    }

    private TimeSpan CacheTime => TimeSpan.FromSeconds(Math.Max(0, _options.GatewayCacheSeconds));

    private async ValueTask<CachedGateway?> GatewayAsync(string gatewayId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_gateways.TryGetValue(gatewayId, out var cached) && cached.ReadAt + CacheTime >= now)
        {
            return cached;
        }

        if (await ledger.LoadGatewayAsync(gatewayId, cancellationToken) is not { } gateway)
        {
            _gateways.TryRemove(gatewayId, out _);
            return null;
        }

        var map = gateway.Devices.ToDictionary(d => (d.Node, d.Tag));
        cached = new CachedGateway(gateway.Id, gateway.StationId, map, [.. gateway.Devices.Select(d => d.Node)], now);
        _gateways[gatewayId] = cached;
        return cached;
    }

    /// <summary>value × scale, or false when that leaves decimal's range; an error sample (no value) passes as null.</summary>
    internal static bool TryScale(decimal? value, decimal scale, out decimal? scaled)
    {
        scaled = null;
        if (value is not { } v)
        {
            return true;
        }

        try
        {
            scaled = v * scale;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static string Names(List<string>? names) => names is null ? "none" : string.Join(", ", names.Take(20)) + (names.Count > 20 ? $" (+{names.Count - 20})" : "");

    private static string Render(NeuronMessage m) => JsonSerializer.Serialize(new
    {
        timestamp = m.Timestamp.ToUnixTimeMilliseconds(),
        node = m.Node,
        group = m.Group,
        tags = m.Tags.Select(t => new { name = t.Name, value = t.Value, error = t.ErrorCode }),
    });

    internal static string Cut(string payload, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(payload) <= maxBytes)
        {
            return payload;
        }

        var bytes = Encoding.UTF8.GetBytes(payload);
        var cut = maxBytes;
        while (cut > 0 && (bytes[cut] & 0xC0) == 0x80)
        {
            cut--; // never split a UTF-8 sequence
        }

        return Encoding.UTF8.GetString(bytes, 0, cut) + $"…[cut: {bytes.Length} bytes]";
    }

    private sealed record CachedGateway(string Id, string StationId, Dictionary<(string Node, string Tag), DeviceMapping> Map, HashSet<string> Nodes,
        DateTimeOffset ReadAt);

    private sealed record CachedAccounts(IReadOnlyList<GatewayIdentity> Gateways, DateTimeOffset ReadAt);


    private sealed record DeadLetterWindow(DateTimeOffset Start, int Count);
}
