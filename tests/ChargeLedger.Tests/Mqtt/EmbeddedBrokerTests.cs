using System.Text;
using ChargeLedger.Mqtt;
using ChargeLedger.Mqtt.Neuron;
using ChargeLedger.Telemetry;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using static ChargeLedger.Tests.Mqtt.MqttScenario;

namespace ChargeLedger.Tests.Mqtt;

/// <summary>One embedded broker on 127.0.0.1 (Port = 0) for the class; every test uses its own gateways.</summary>
public sealed class EmbeddedBrokerFixture : IAsyncLifetime
{
    public MqttHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Host = await MqttHost.StartAsync();

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}

public class EmbeddedBrokerTests(EmbeddedBrokerFixture fixture) : IClassFixture<EmbeddedBrokerFixture>
{
    private readonly MqttHost _host = fixture.Host;

    private FakeTelemetryIngress Ingress => _host.Ingress;

    [Theory]
    [InlineData(MqttProtocolVersion.V500)]
    [InlineData(MqttProtocolVersion.V311)]
    public async Task refuses_a_connection_without_credentials(MqttProtocolVersion version)
    {
        var gateway = Ingress.AddGateway();

        var (client, result) = await ConnectAsync(Options(_host.Port, gateway.GatewayId, null, null, version));

        // v5 CONNACK 0x87; 3.1.1 return code 0x05, which MQTTnet reports as NotAuthorized too.
        result.ResultCode.ShouldBe(MqttClientConnectResultCode.NotAuthorized);
        client.IsConnected.ShouldBeFalse();
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V500)]
    [InlineData(MqttProtocolVersion.V311)]
    public async Task refuses_a_wrong_password_with_bad_username_or_password(MqttProtocolVersion version)
    {
        var gateway = Ingress.AddGateway();

        var (client, result) = await ConnectAsync(Options(_host.Port, gateway.GatewayId, gateway.GatewayId, "wrong", version));

        result.ResultCode.ShouldBe(MqttClientConnectResultCode.BadUserNameOrPassword);
        client.IsConnected.ShouldBeFalse();
    }

    [Fact]
    public async Task refuses_an_unknown_user_exactly_like_a_wrong_password()
    {
        var (_, result) = await ConnectAsync(Options(_host.Port, "GW-NOBODY", "GW-NOBODY", "secret-pw"));

        result.ResultCode.ShouldBe(MqttClientConnectResultCode.BadUserNameOrPassword);
    }

    [Fact]
    public async Task refuses_an_empty_password()
    {
        var gateway = Ingress.AddGateway();

        var (_, result) = await ConnectAsync(Options(_host.Port, gateway.GatewayId, gateway.GatewayId, ""));

        result.ResultCode.ShouldBe(MqttClientConnectResultCode.BadUserNameOrPassword);
    }

    [Fact]
    public async Task another_gateway_cannot_take_over_a_session_by_using_its_client_id()
    {
        var victim = Ingress.AddGateway();
        var thief = Ingress.AddGateway();
        var victimClient = await _host.ConnectedGatewayAsync(victim);

        var (_, result) = await ConnectAsync(Options(_host.Port, victim.GatewayId, thief.GatewayId, "secret-pw"));

        result.ResultCode.ShouldBe(MqttClientConnectResultCode.ClientIdentifierNotValid);
        victimClient.IsConnected.ShouldBeTrue();
        (await victimClient.PublishAsync(victim.Telemetry(), ValuesFormat())).ReasonCode.ShouldBe(MqttClientPublishReasonCode.Success);
        (await Ingress.NextIngestedAsync(victim.GatewayId)).GatewayId.ShouldBe(victim.GatewayId);
    }

    [Fact]
    public async Task a_client_id_other_than_the_username_is_refused_even_with_valid_credentials()
    {
        var gateway = Ingress.AddGateway();

        var (_, result) = await ConnectAsync(Options(_host.Port, "something-else", gateway.GatewayId, "secret-pw"));

        result.ResultCode.ShouldBe(MqttClientConnectResultCode.ClientIdentifierNotValid);
    }

    [Fact]
    public async Task a_gateway_reconnecting_takes_over_its_own_session()
    {
        var gateway = Ingress.AddGateway();
        var first = await _host.ConnectedGatewayAsync(gateway);
        var firstGone = first.WhenDisconnectedAsync();

        var second = await _host.ConnectedGatewayAsync(gateway);

        await firstGone;
        second.IsConnected.ShouldBeTrue();
        (await second.PublishAsync(gateway.Telemetry(), ValuesFormat())).ReasonCode.ShouldBe(MqttClientPublishReasonCode.Success);
        await Ingress.NextIngestedAsync(gateway.GatewayId);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V500)]
    [InlineData(MqttProtocolVersion.V311)]
    public async Task a_gateway_with_a_persistent_session_finds_it_again_so_it_resends_unacknowledged_publishes(MqttProtocolVersion version)
    {
        var gateway = Ingress.AddGateway();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", _host.Port)
            .WithProtocolVersion(version)
            .WithClientId(gateway.GatewayId)
            .WithCredentials(gateway.GatewayId, "secret-pw")
            .WithCleanStart(false)
            .WithSessionExpiryInterval(3600)
            .WithTimeout(Patience)
            .Build();

        var (first, firstResult) = await ConnectAsync(options);
        await first.DisconnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        var (_, secondResult) = await ConnectAsync(options);

        firstResult.IsSessionPresent.ShouldBeFalse();
        secondResult.IsSessionPresent.ShouldBeTrue();
    }

    [Fact]
    public async Task a_resumed_session_gets_the_topic_prefix_of_the_latest_connect()
    {
        var gateway = Ingress.AddGateway();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", _host.Port)
            .WithClientId(gateway.GatewayId)
            .WithCredentials(gateway.GatewayId, "secret-pw")
            .WithCleanStart(false)
            .WithSessionExpiryInterval(3600)
            .WithTimeout(Patience)
            .Build();
        var (first, _) = await ConnectAsync(options);
        await first.DisconnectAsync(cancellationToken: TestContext.Current.CancellationToken);
        var moved = Ingress.AddGateway(id: gateway.GatewayId, topicPrefix: $"/neuron/moved/{gateway.GatewayId}");

        var (second, result) = await ConnectAsync(options);

        result.IsSessionPresent.ShouldBeTrue();
        (await second.PublishAsync(gateway.Telemetry(), ValuesFormat())).ReasonCode.ShouldBe(MqttClientPublishReasonCode.NotAuthorized);
        (await second.PublishAsync(moved.Telemetry(), ValuesFormat())).ReasonCode.ShouldBe(MqttClientPublishReasonCode.Success);
        (await Ingress.NextIngestedAsync(gateway.GatewayId)).Topic.ShouldBe(moved.Telemetry());
    }

    [Fact]
    public async Task ingests_the_values_format()
    {
        var gateway = Ingress.AddGateway();
        var client = await _host.ConnectedGatewayAsync(gateway);

        var result = await client.PublishAsync(gateway.Telemetry(), ValuesFormat(1650006388943, "meter-1", 123456.5m));

        result.ReasonCode.ShouldBe(MqttClientPublishReasonCode.Success);
        var message = await Ingress.NextIngestedAsync(gateway.GatewayId);
        message.GatewayId.ShouldBe(gateway.GatewayId);
        message.Topic.ShouldBe(gateway.Telemetry());
        message.Node.ShouldBe("meter-1");
        message.Group.ShouldBe("grp");
        message.Timestamp.ShouldBe(DateTimeOffset.FromUnixTimeMilliseconds(1650006388943));
        message.Tags.ShouldBe([new("import_wh", 123456.5m, null), new("temp_c", 41.5m, null), new("voltage", null, 2014)]);
    }

    [Fact]
    public async Task ingests_the_tags_format_from_an_mqtt_311_gateway()
    {
        var gateway = Ingress.AddGateway();
        var client = await _host.ConnectedGatewayAsync(gateway, version: MqttProtocolVersion.V311);

        await client.PublishAsync(gateway.TopicPrefix + "/opcua/cabinet", TagsFormat());

        var message = await Ingress.NextIngestedAsync(gateway.GatewayId);
        message.Node.ShouldBe("meter-2");
        message.Tags.ShouldBe([new("tag0", 123m, null), new("tag1", null, 2014), new("on", 1m, null)]);
    }

    [Theory]
    [InlineData("/neuron/{other}/modbus/grp")]
    [InlineData("{prefix}0/modbus/grp")]
    [InlineData("{prefix}")]
    [InlineData("/neuron")]
    [InlineData("ocpp/cs/CP-1")]
    public async Task a_publish_outside_the_gateways_prefix_is_refused_and_not_ingested(string topicPattern)
    {
        var gateway = Ingress.AddGateway();
        var other = Ingress.AddGateway();
        var client = await _host.ConnectedGatewayAsync(gateway);
        var topic = topicPattern.Replace("{other}", other.GatewayId, StringComparison.Ordinal)
            .Replace("{prefix}", gateway.TopicPrefix, StringComparison.Ordinal);

        var refused = await client.PublishAsync(topic, ValuesFormat());
        // A marker on the gateway's own topic: publishes of one connection are handled in order, so once it is
        // ingested the refused one has been dealt with too.
        await client.PublishAsync(gateway.Telemetry(), ValuesFormat(node: "marker"));

        refused.ReasonCode.ShouldBe(MqttClientPublishReasonCode.NotAuthorized);
        (await Ingress.NextIngestedAsync(gateway.GatewayId)).Node.ShouldBe("marker");
        Ingress.HasIngested(gateway.GatewayId).ShouldBeFalse();
        Ingress.HasIngested(other.GatewayId).ShouldBeFalse();
        Ingress.HasRejected(gateway.GatewayId).ShouldBeFalse();
    }

    [Fact]
    public async Task an_mqtt_311_publish_outside_the_prefix_is_dropped()
    {
        var gateway = Ingress.AddGateway();
        var other = Ingress.AddGateway();
        var client = await _host.ConnectedGatewayAsync(gateway, version: MqttProtocolVersion.V311);

        await client.PublishAsync(other.Telemetry(), ValuesFormat());
        await client.PublishAsync(gateway.Telemetry(), ValuesFormat(node: "marker"));

        (await Ingress.NextIngestedAsync(gateway.GatewayId)).Node.ShouldBe("marker");
        Ingress.HasIngested(other.GatewayId).ShouldBeFalse();
        client.IsConnected.ShouldBeTrue();
    }

    [Fact]
    public async Task subscriptions_outside_the_gateways_prefix_are_refused()
    {
        var gateway = Ingress.AddGateway();
        var other = Ingress.AddGateway();
        var client = await _host.ConnectedGatewayAsync(gateway);
        // One QoS for all: MQTTnet 5.2 evaluates filters ordered by QoS (MqttClientSubscriptionsManager.Subscribe) and
        // lists the SUBACK codes in that order, not the packet's ([MQTT-3.9.3-1]); with equal QoS the order is kept.
        var qos = MqttQualityOfServiceLevel.AtLeastOnce;
        var subscribe = new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("#", qos)
            .WithTopicFilter("$SYS/#", qos)
            .WithTopicFilter("+/+/+/+", qos)
            .WithTopicFilter(other.TopicPrefix + "/#", qos)
            .WithTopicFilter("$share/g/" + gateway.TopicPrefix + "/#", qos)
            .WithTopicFilter(gateway.TopicPrefix + "/#", qos)
            .Build();

        using var timeout = new CancellationTokenSource(Patience);
        var result = await client.SubscribeAsync(subscribe, timeout.Token);

        var codes = result.Items.ToDictionary(i => i.TopicFilter.Topic, i => i.ResultCode);
        codes["#"].ShouldBe(MqttClientSubscribeResultCode.NotAuthorized);
        codes["$SYS/#"].ShouldBe(MqttClientSubscribeResultCode.NotAuthorized);
        codes["+/+/+/+"].ShouldBe(MqttClientSubscribeResultCode.NotAuthorized);
        codes[other.TopicPrefix + "/#"].ShouldBe(MqttClientSubscribeResultCode.NotAuthorized);
        // MQTTnet refuses shared subscriptions itself (0x9E) before asking the interceptor.
        ((int)codes["$share/g/" + gateway.TopicPrefix + "/#"]).ShouldBeGreaterThanOrEqualTo(0x80);
        codes[gateway.TopicPrefix + "/#"].ShouldBe(MqttClientSubscribeResultCode.GrantedQoS1);
    }

    [Fact]
    public async Task a_bad_payload_is_dead_lettered_acknowledged_and_the_connection_stays_usable()
    {
        var gateway = Ingress.AddGateway();
        var client = await _host.ConnectedGatewayAsync(gateway);

        var bad = await client.PublishAsync(gateway.Telemetry(), "{\"timestamp\": not json");
        var wrongValue = await client.PublishAsync(gateway.Telemetry(), """{"timestamp":1,"node":"n","group":"g","values":{"v":"230"}}""");
        var good = await client.PublishAsync(gateway.Telemetry(), ValuesFormat());

        bad.ReasonCode.ShouldBe(MqttClientPublishReasonCode.Success);
        wrongValue.ReasonCode.ShouldBe(MqttClientPublishReasonCode.Success);
        good.ReasonCode.ShouldBe(MqttClientPublishReasonCode.Success);
        var first = await Ingress.NextRejectedAsync(gateway.GatewayId);
        first.Reason.ShouldStartWith("not JSON");
        first.Payload.ShouldBe("{\"timestamp\": not json");
        first.Topic.ShouldBe(gateway.Telemetry());
        first.GatewayId.ShouldBe(gateway.GatewayId);
        (await Ingress.NextRejectedAsync(gateway.GatewayId)).Reason.ShouldContain("\"v\"");
        await Ingress.NextIngestedAsync(gateway.GatewayId);
        client.IsConnected.ShouldBeTrue();
    }

    [Fact]
    public async Task a_payload_over_the_limit_is_dead_lettered_truncated()
    {
        var gateway = Ingress.AddGateway();
        // MQTT 3.1.1: no Maximum Packet Size in CONNACK, so the client sends it and the broker has to cope.
        var client = await _host.ConnectedGatewayAsync(gateway, version: MqttProtocolVersion.V311);
        var payload = Encoding.UTF8.GetBytes(ValuesFormat() + new string(' ', 300 * 1024));

        using var timeout = new CancellationTokenSource(Patience);
        await client.PublishAsync(Message(gateway.Telemetry(), payload), timeout.Token);

        var rejected = await Ingress.NextRejectedAsync(gateway.GatewayId);
        rejected.Reason.ShouldContain("larger than the limit");
        rejected.Payload.Length.ShouldBeLessThan(NeuronPayload.MaxStoredPayloadBytes + 100);
        Ingress.HasIngested(gateway.GatewayId).ShouldBeFalse();
    }

    [Fact]
    public async Task the_puback_is_sent_only_after_the_ingress_has_committed()
    {
        var gateway = Ingress.AddGateway();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var commit = new TaskCompletionSource<IngestOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        Ingress.OnIngest(gateway.GatewayId, (_, _) =>
        {
            entered.TrySetResult();
#pragma warning disable VSTHRD003 // the test itself completes it
            return commit.Task;
#pragma warning restore VSTHRD003
        });
        var client = await _host.ConnectedGatewayAsync(gateway);

        var publish = client.PublishAsync(gateway.Telemetry(), ValuesFormat());
        await entered.Task.WaitAsync(Patience, TestContext.Current.CancellationToken);

        // The ingress is holding the message: no PUBACK may arrive meanwhile.
        await Should.ThrowAsync<TimeoutException>(publish.WaitAsync(TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken));
        publish.IsCompleted.ShouldBeFalse();

        commit.SetResult(IngestOutcome.Recorded);
        (await publish.WaitAsync(Patience, TestContext.Current.CancellationToken)).ReasonCode.ShouldBe(MqttClientPublishReasonCode.Success);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V500)]
    [InlineData(MqttProtocolVersion.V311)]
    public async Task when_the_ingress_fails_the_message_is_not_acknowledged_and_the_connection_is_closed(MqttProtocolVersion version)
    {
        var gateway = Ingress.AddGateway();
        Ingress.OnIngest(gateway.GatewayId, (_, _) => throw new InvalidOperationException("database down"));
        var client = await _host.ConnectedGatewayAsync(gateway, version: version);
        var gone = client.WhenDisconnectedAsync();

        var publish = client.PublishAsync(gateway.Telemetry(), ValuesFormat());

        await Should.ThrowAsync<Exception>(publish.WaitAsync(Patience, TestContext.Current.CancellationToken));
        await gone;
        Ingress.IngestAttempts(gateway.GatewayId).ShouldBe(1);

        // The gateway comes back and resends; now it is recorded and acknowledged.
        Ingress.OnIngest(gateway.GatewayId, (_, _) => Task.FromResult(IngestOutcome.Recorded));
        var again = await _host.ConnectedGatewayAsync(gateway, version: version);
        (await again.PublishAsync(gateway.Telemetry(), ValuesFormat())).ReasonCode.ShouldBe(MqttClientPublishReasonCode.Success);
        await Ingress.NextIngestedAsync(gateway.GatewayId);
    }

    [Theory]
    [InlineData(new byte[] { 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F })]
    [InlineData(new byte[] { 0x36, 0x00 })]
    [InlineData(new byte[] { 0x47, 0x45, 0x54, 0x20, 0x2F, 0x20, 0x48, 0x54, 0x54, 0x50, 0x2F, 0x31, 0x2E, 0x31, 0x0D, 0x0A, 0x0D, 0x0A })]
    [InlineData(new byte[] { 0x10, 0x0C, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x09, 0x02, 0x00, 0x3C, 0x00, 0x00 })]
    public async Task malformed_packets_drop_the_client_but_not_the_broker(byte[] garbage)
    {
        // RELIABILITY D7: bad remaining length, QoS 3, HTTP instead of MQTT (read as a packet of 69 bytes that never
        // come: dropped by the 10 s communication timeout), protocol level 9.
        using (var socket = new System.Net.Sockets.TcpClient())
        {
            await socket.ConnectAsync(System.Net.IPAddress.Loopback, _host.Port, TestContext.Current.CancellationToken);
            var stream = socket.GetStream();
            await stream.WriteAsync(garbage, TestContext.Current.CancellationToken);
            using var closed = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            closed.CancelAfter(TimeSpan.FromSeconds(20));
            var buffer = new byte[256];
            try
            {
                while (await stream.ReadAsync(buffer, closed.Token) > 0)
                {
                    // A refusal CONNACK may come first; the broker must then close.
                }
            }
            catch (IOException)
            {
                // Reset by the broker: closed as well.
            }
        }

        var gateway = Ingress.AddGateway();
        var client = await _host.ConnectedGatewayAsync(gateway);
        (await client.PublishAsync(gateway.Telemetry(), ValuesFormat())).ReasonCode.ShouldBe(MqttClientPublishReasonCode.Success);
    }

    [Fact]
    public async Task reports_the_port_it_bound()
    {
        _host.Port.ShouldBeGreaterThan(0);
        _host.Service<Microsoft.Extensions.Options.IOptions<MqttOptions>>().Value.Port.ShouldBe(0);
        _host.TlsPort.ShouldBeNull();
        await Task.CompletedTask;
    }
}
