using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Protocol;

namespace ChargeLedger.IntegrationTests.Infrastructure;

/// <summary>
/// Stands in for EMQX's OCPP gateway on a real Mosquitto: publishes charge points' CALLs on <c>ocpp/cp/{id}</c> and
/// their replies on <c>ocpp/cp/{id}/Reply</c> in EMQX's JSON envelope, reports clients coming and going the way EMQX
/// does on <c>$SYS/brokers/{node}/gateway/ocpp/clients/{id}/…</c> (under <see cref="ConnectivityRoot"/>: Mosquitto
/// refuses client publishes to <c>$SYS</c>), and collects what the central system sends on <c>ocpp/cs/{id}</c>.
/// </summary>
public sealed class FakeEmqxGateway : IAsyncDisposable
{
    public const string ConnectivityRoot = "emqx-sys";
    public const string ConnectivityFilter = ConnectivityRoot + "/brokers/+/gateway/ocpp/clients/+/+";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly IMqttClient _client;
    private readonly ConcurrentDictionary<string, Channel<JsonElement>> _replies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Channel<JsonElement>> _calls = new(StringComparer.Ordinal);

    private FakeEmqxGateway(IMqttClient client) => _client = client;

    public static async Task<FakeEmqxGateway> ConnectAsync(int port, string username, string password)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var gateway = new FakeEmqxGateway(client);
        client.ApplicationMessageReceivedAsync += e =>
        {
            var chargePointId = e.ApplicationMessage.Topic["ocpp/cs/".Length..];
            using var document = JsonDocument.Parse(e.ApplicationMessage.Payload.ToArray());
            var message = document.RootElement.Clone();
            var box = message.GetProperty("MessageTypeId").GetInt32() == 2 ? gateway._calls : gateway._replies;
            Inbox(box, chargePointId).Writer.TryWrite(message);
            return Task.CompletedTask;
        };
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId($"emqx-{Guid.NewGuid():N}")
            .WithCredentials(username, password).WithCleanStart().Build();
        (await client.ConnectAsync(options, TestContext.Current.CancellationToken)).ResultCode.ShouldBe(MqttClientConnectResultCode.Success);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("ocpp/cs/+", MqttQualityOfServiceLevel.AtLeastOnce).Build(),
            TestContext.Current.CancellationToken);
        return gateway;
    }

    /// <summary>Publishes a CALL as the charge point and returns the central system's answer (a 3 or 4 envelope with the same id).</summary>
    public async Task<JsonElement> CallAsync(string chargePointId, string action, object payload, string? uniqueId = null, TimeSpan? timeout = null)
    {
        uniqueId ??= Guid.NewGuid().ToString("N");
        await SendCallAsync(chargePointId, uniqueId, action, payload);
        return await AnswerToAsync(chargePointId, uniqueId, timeout);
    }

    public Task SendCallAsync(string chargePointId, string uniqueId, string action, object payload) =>
        PublishAsync($"ocpp/cp/{chargePointId}", new { MessageTypeId = 2, UniqueId = uniqueId, Action = action, Payload = payload });

    /// <summary>The next answer to the CALL <paramref name="uniqueId"/> (bounded wait); answers to other ids are skipped.</summary>
    public async Task<JsonElement> AnswerToAsync(string chargePointId, string uniqueId, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            while (true)
            {
                var answer = await Inbox(_replies, chargePointId).Reader.ReadAsync(deadline.Token);
                if (answer.GetProperty("UniqueId").GetString() == uniqueId)
                {
                    return answer;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new ShouldAssertException($"no answer to {uniqueId} from the central system for {chargePointId}");
        }
    }

    /// <summary>The next CALL the central system sent the charge point, or null when none comes within <paramref name="timeout"/>.</summary>
    public async Task<JsonElement?> ServerCallAsync(string chargePointId, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            return await Inbox(_calls, chargePointId).Reader.ReadAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return null;
        }
    }

    public Task ReplyAsync(string chargePointId, string uniqueId, object payload) =>
        PublishAsync($"ocpp/cp/{chargePointId}/Reply", new { MessageTypeId = 3, UniqueId = uniqueId, Payload = payload });

    public Task ConnectedAsync(string chargePointId, DateTimeOffset at) =>
        PublishAsync($"{ConnectivityRoot}/brokers/emqx@127.0.0.1/gateway/ocpp/clients/{chargePointId}/connected",
            new { clientid = chargePointId, username = chargePointId, ipaddress = "192.0.2.10", proto_name = "OCPP", connected_at = at.ToUnixTimeMilliseconds(), ts = at.ToUnixTimeMilliseconds() });

    public Task DisconnectedAsync(string chargePointId, DateTimeOffset at, string reason = "normal") =>
        PublishAsync($"{ConnectivityRoot}/brokers/emqx@127.0.0.1/gateway/ocpp/clients/{chargePointId}/disconnected",
            new { clientid = chargePointId, username = chargePointId, reason, disconnected_at = at.ToUnixTimeMilliseconds(), ts = at.ToUnixTimeMilliseconds() });

    public Task PublishRawAsync(string topic, string payload) =>
        _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(Encoding.UTF8.GetBytes(payload))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
        }

        _client.Dispose();
    }

    private Task PublishAsync(string topic, object envelope) => PublishRawAsync(topic, JsonSerializer.Serialize(envelope));

    private static Channel<JsonElement> Inbox(ConcurrentDictionary<string, Channel<JsonElement>> boxes, string chargePointId) =>
        boxes.GetOrAdd(chargePointId, _ => Channel.CreateUnbounded<JsonElement>());
}
