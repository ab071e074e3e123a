using System.Globalization;
using ChargeLedger.Mqtt.External;
using ChargeLedger.Telemetry;
using MQTTnet;
using static ChargeLedger.Tests.Mqtt.MqttScenario;

namespace ChargeLedger.Tests.Mqtt;

public class ExternalBrokerTests(MosquittoFixture mosquitto) : IClassFixture<MosquittoFixture>
{
    /// <summary>A host consuming from the fixture's Mosquitto, with the embedded broker off (the two are independent).</summary>
    private Task<MqttHost> ConsumerAsync(string clientId, string? sharedGroup = null, Action<FakeTelemetryIngress>? prepare = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ChargeLedger:Mqtt:Enabled"] = "false",
            ["ChargeLedger:Mqtt:ExternalBroker:Host"] = "127.0.0.1",
            ["ChargeLedger:Mqtt:ExternalBroker:Port"] = mosquitto.Port.ToString(CultureInfo.InvariantCulture),
            ["ChargeLedger:Mqtt:ExternalBroker:Username"] = MosquittoFixture.ConsumerUser,
            ["ChargeLedger:Mqtt:ExternalBroker:Password"] = MosquittoFixture.Password,
            ["ChargeLedger:Mqtt:ExternalBroker:ClientId"] = clientId,
            ["ChargeLedger:Mqtt:ExternalBroker:SharedGroup"] = sharedGroup,
            ["ChargeLedger:Mqtt:ExternalBroker:ReconnectMinDelayMilliseconds"] = "100",
            ["ChargeLedger:Mqtt:ExternalBroker:ReconnectMaxDelayMilliseconds"] = "1000",
        };
        return MqttHost.StartAsync(settings, prepare);
    }

    private async Task<IMqttClient> PublisherAsync()
    {
        var (client, result) = await ConnectAsync(Options(mosquitto.Port, $"pub-{Guid.NewGuid():N}", MosquittoFixture.PublisherUser, MosquittoFixture.Password));
        result.ResultCode.ShouldBe(MqttClientConnectResultCode.Success, mosquitto.Log);
        return client;
    }

    /// <summary>Subscriptions are made after CONNACK; this publishes probes until one arrives, so the consumer is surely subscribed.</summary>
    private async Task SubscribedAsync(MqttHost consumer, IMqttClient publisher)
    {
        var probe = consumer.Ingress.AddGateway();
        using var deadline = new CancellationTokenSource(Patience);
        while (true)
        {
            await publisher.PublishAsync(probe.Telemetry(), ValuesFormat(node: "probe"));
            try
            {
                await consumer.Ingress.NextIngestedAsync(probe.GatewayId, TimeSpan.FromMilliseconds(200));
                return;
            }
            catch (TimeoutException) when (!deadline.IsCancellationRequested)
            {
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException($"the consumer never received a probe; host log:\n{consumer.Log}\nmosquitto log:\n{mosquitto.Log}", ex);
            }
        }
    }

    [Fact]
    public async Task ingests_for_the_gateway_that_owns_the_topic()
    {
        Assert.SkipUnless(mosquitto.Available, MosquittoFixture.MissingMessage);
        await using var consumer = await ConsumerAsync($"cl-{Guid.NewGuid():N}");
        var publisher = await PublisherAsync();
        await SubscribedAsync(consumer, publisher);
        var gateway = consumer.Ingress.AddGateway();

        await publisher.PublishAsync(gateway.Telemetry(), ValuesFormat(node: "meter-7"));

        var message = await consumer.Ingress.NextIngestedAsync(gateway.GatewayId);
        message.GatewayId.ShouldBe(gateway.GatewayId);
        message.Node.ShouldBe("meter-7");
        message.Topic.ShouldBe(gateway.Telemetry());
    }

    [Fact]
    public async Task a_topic_no_gateway_owns_is_dead_lettered_and_bad_json_too()
    {
        Assert.SkipUnless(mosquitto.Available, MosquittoFixture.MissingMessage);
        await using var consumer = await ConsumerAsync($"cl-{Guid.NewGuid():N}");
        var publisher = await PublisherAsync();
        await SubscribedAsync(consumer, publisher);
        var orphanTopic = $"/neuron/NOBODY-{Guid.NewGuid():N}/modbus/grp";
        var gateway = consumer.Ingress.AddGateway();

        await publisher.PublishAsync(orphanTopic, ValuesFormat());
        await publisher.PublishAsync(gateway.Telemetry(), "not json at all");
        await publisher.PublishAsync(gateway.Telemetry(), ValuesFormat(node: "after"));

        var orphan = await consumer.Ingress.NextRejectedAsync(orphanTopic);
        orphan.Reason.ShouldBe(ExternalBrokerConsumer.NoGatewayReason);
        orphan.GatewayId.ShouldBeNull();
        (await consumer.Ingress.NextRejectedAsync(gateway.GatewayId)).Reason.ShouldStartWith("not JSON");
        (await consumer.Ingress.NextIngestedAsync(gateway.GatewayId)).Node.ShouldBe("after");
    }

    [Fact]
    public async Task a_message_the_ingress_failed_on_is_delivered_again_after_the_reconnect()
    {
        Assert.SkipUnless(mosquitto.Available, MosquittoFixture.MissingMessage);
        await using var consumer = await ConsumerAsync($"cl-{Guid.NewGuid():N}");
        var publisher = await PublisherAsync();
        await SubscribedAsync(consumer, publisher);
        var gateway = consumer.Ingress.AddGateway();
        var failures = 1;
        consumer.Ingress.OnIngest(gateway.GatewayId, (_, _) => Interlocked.Decrement(ref failures) >= 0
            ? throw new InvalidOperationException("database down")
            : Task.FromResult(IngestOutcome.Recorded));

        await publisher.PublishAsync(gateway.Telemetry(), ValuesFormat(timestamp: 1_700_000_000_123));

        var message = await consumer.Ingress.NextIngestedAsync(gateway.GatewayId);
        message.Timestamp.ToUnixTimeMilliseconds().ShouldBe(1_700_000_000_123);
        consumer.Ingress.IngestAttempts(gateway.GatewayId).ShouldBe(2);
    }

    [Fact]
    public async Task messages_published_while_the_consumer_is_away_arrive_when_it_returns_even_across_a_broker_crash()
    {
        Assert.SkipUnless(mosquitto.Available, MosquittoFixture.MissingMessage);
        var clientId = $"cl-{Guid.NewGuid():N}";
        var gateway = new GatewayIdentity($"GW-{Guid.NewGuid():N}"[..11], "ST-1", "");
        gateway = gateway with { TopicPrefix = $"/neuron/{gateway.GatewayId}" };
        await using (var first = await ConsumerAsync(clientId))
        {
            // The first run creates the persistent session and its subscription.
            var probePublisher = await PublisherAsync();
            await SubscribedAsync(first, probePublisher);
        }

        var publisher = await PublisherAsync();
        const int count = 50;
        for (var i = 0; i < count; i++)
        {
            await publisher.PublishAsync(gateway.Telemetry(), ValuesFormat(timestamp: 1_700_000_000_000 + i));
        }

        await publisher.DisconnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        // autosave_interval 1 and a clean stop would both persist; a kill after a second of quiet checks the file.
        await WaitForPersistenceAsync();
        await mosquitto.KillAsync();
        await mosquitto.StartAsync();

        // Known before the consumer starts: the queued messages arrive right after CONNACK.
        await using var second = await ConsumerAsync(clientId, prepare: ingress => ingress.AddGateway(id: gateway.GatewayId));
        var received = new List<long>();
        for (var i = 0; i < count; i++)
        {
            received.Add((await second.Ingress.NextIngestedAsync(gateway.GatewayId)).Timestamp.ToUnixTimeMilliseconds());
        }

        received.ShouldBe(Enumerable.Range(0, count).Select(i => 1_700_000_000_000L + i));
    }

    [Fact]
    public async Task two_nodes_in_a_shared_group_split_the_stream_and_each_message_is_recorded_once()
    {
        Assert.SkipUnless(mosquitto.Available, MosquittoFixture.MissingMessage);
        var group = $"g{Guid.NewGuid():N}"[..9];
        await using var first = await ConsumerAsync($"cl-{Guid.NewGuid():N}", group);
        await using var second = await ConsumerAsync($"cl-{Guid.NewGuid():N}", group);
        var publisher = await PublisherAsync();
        await SubscribedAsync(first, publisher);
        await SubscribedAsync(second, publisher);
        var gateway = new GatewayIdentity($"GW-{Guid.NewGuid():N}"[..11], "ST-1", "");
        gateway = gateway with { TopicPrefix = $"/neuron/{gateway.GatewayId}" };
        first.Ingress.AddGateway(id: gateway.GatewayId);
        second.Ingress.AddGateway(id: gateway.GatewayId);

        const int count = 20;
        for (var i = 0; i < count; i++)
        {
            await publisher.PublishAsync(gateway.Telemetry(), ValuesFormat(timestamp: 1_700_000_000_000 + i));
        }

        await Eventually(() => first.Ingress.IngestAttempts(gateway.GatewayId) + second.Ingress.IngestAttempts(gateway.GatewayId) >= count);
        var seen = first.Ingress.Drain(gateway.GatewayId).Concat(second.Ingress.Drain(gateway.GatewayId))
            .Select(m => m.Timestamp.ToUnixTimeMilliseconds()).ToList();

        seen.Order().ShouldBe(Enumerable.Range(0, count).Select(i => 1_700_000_000_000L + i));
        (first.Ingress.IngestAttempts(gateway.GatewayId) + second.Ingress.IngestAttempts(gateway.GatewayId)).ShouldBe(count);
    }

    /// <summary>Mosquitto writes its store at most every autosave_interval (1 s here); wait until the file has changed since now.</summary>
    private async Task WaitForPersistenceAsync()
    {
        var store = Directory.GetFiles(Path.GetDirectoryName(mosquitto.ConfigPath)!, "mosquitto.db").FirstOrDefault();
        var since = DateTime.UtcNow;
        var deadline = DateTime.UtcNow + Patience;
        while ((store is null || File.GetLastWriteTimeUtc(store) <= since) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            store ??= Directory.GetFiles(Path.GetDirectoryName(mosquitto.ConfigPath)!, "mosquitto.db").FirstOrDefault();
        }

        store.ShouldNotBeNull(mosquitto.Log);
        File.GetLastWriteTimeUtc(store).ShouldBeGreaterThan(since, "mosquitto did not save its store");
    }
}
