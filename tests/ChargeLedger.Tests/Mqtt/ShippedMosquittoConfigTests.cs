using System.Collections.Concurrent;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using static ChargeLedger.Tests.Mqtt.MqttScenario;

namespace ChargeLedger.Tests.Mqtt;

/// <summary>RELIABILITY D1-D3 against Mosquitto with the security settings of ops/mosquitto (the external-broker mode).</summary>
public class ShippedMosquittoConfigTests(ShippedConfigMosquittoFixture mosquitto) : IClassFixture<ShippedConfigMosquittoFixture>
{
    private const string Password = MosquittoFixture.Password;

    [Theory]
    [InlineData(MqttProtocolVersion.V500)]
    [InlineData(MqttProtocolVersion.V311)]
    public async Task refuses_anonymous_wrong_password_and_unknown_user(MqttProtocolVersion version)
    {
        Assert.SkipUnless(mosquitto.Available, MosquittoFixture.MissingMessage);

        var (_, anonymous) = await ConnectAsync(Options(mosquitto.Port, "anon", null, null, version));
        var (_, wrong) = await ConnectAsync(Options(mosquitto.Port, "GW-A", "GW-A", "wrong", version));
        var (_, unknown) = await ConnectAsync(Options(mosquitto.Port, "GW-Z", "GW-Z", Password, version));

        // v5: 0x87 / 0x86 / 0x86; 3.1.1: 0x05 for all three (MQTTnet maps 0x05 to NotAuthorized).
        anonymous.ResultCode.ShouldBe(MqttClientConnectResultCode.NotAuthorized, mosquitto.Log);
        MqttClientConnectResultCode[] refused = [MqttClientConnectResultCode.BadUserNameOrPassword, MqttClientConnectResultCode.NotAuthorized];
        wrong.ResultCode.ShouldBeOneOf(refused);
        unknown.ResultCode.ShouldBeOneOf(refused);
    }

    [Fact]
    public async Task a_gateway_may_publish_only_below_its_own_prefix_and_read_nothing()
    {
        Assert.SkipUnless(mosquitto.Available, MosquittoFixture.MissingMessage);
        var received = await ConsumerAsync();
        var (gatewayA, result) = await ConnectAsync(Options(mosquitto.Port, "GW-A", "GW-A", Password));
        result.ResultCode.ShouldBe(MqttClientConnectResultCode.Success, mosquitto.Log);
        var (gatewayB, _) = await ConnectAsync(Options(mosquitto.Port, "GW-B", "GW-B", Password));
        var snooped = new ConcurrentBag<string>();
        gatewayA.ApplicationMessageReceivedAsync += e =>
        {
            snooped.Add(e.ApplicationMessage.Topic);
            return Task.CompletedTask;
        };
        using var timeout = new CancellationTokenSource(Patience);
        // Mosquitto 2.0 grants wildcard subscriptions and checks read access per delivered message instead, so the
        // proof is that nothing arrives.
        await gatewayA.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("#", MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter("$SYS/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter("/neuron/GW-B/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .Build(), timeout.Token);

        var foreign = await gatewayA.PublishAsync("/neuron/GW-B/modbus/grp", ValuesFormat(node: "forged"));
        var own = await gatewayA.PublishAsync("/neuron/GW-A/modbus/grp", ValuesFormat(node: "marker"));
        await gatewayB.PublishAsync("/neuron/GW-B/modbus/grp", ValuesFormat(node: "b"));

        foreign.ReasonCode.ShouldBe(MqttClientPublishReasonCode.NotAuthorized, mosquitto.Log);
        own.ReasonCode.ShouldBe(MqttClientPublishReasonCode.Success);
        // The consumer got A's own message and B's; the forged one was never delivered (it came before the marker).
        await Eventually(() => received.Contains("/neuron/GW-A/modbus/grp") && received.Contains("/neuron/GW-B/modbus/grp"));
        received.Count(t => t == "/neuron/GW-B/modbus/grp").ShouldBe(1);
        snooped.ShouldBeEmpty();
    }

    [Fact]
    public async Task another_user_cannot_take_over_a_gateways_session_with_its_client_id()
    {
        Assert.SkipUnless(mosquitto.Available, MosquittoFixture.MissingMessage);
        var received = await ConsumerAsync();
        var (gatewayA, result) = await ConnectAsync(Options(mosquitto.Port, "GW-A", "GW-A", Password));
        result.ResultCode.ShouldBe(MqttClientConnectResultCode.Success);

        // use_username_as_clientid: Mosquitto replaces the claimed id "GW-A" with the username "GW-B".
        var (thief, stolen) = await ConnectAsync(Options(mosquitto.Port, "GW-A", "GW-B", Password));
        stolen.ResultCode.ShouldBe(MqttClientConnectResultCode.Success);
        thief.IsConnected.ShouldBeTrue();

        gatewayA.IsConnected.ShouldBeTrue();
        (await gatewayA.PublishAsync("/neuron/GW-A/modbus/grp", ValuesFormat(node: "still-a"))).ReasonCode
            .ShouldBe(MqttClientPublishReasonCode.Success, mosquitto.Log);
        await Eventually(() => received.Contains("/neuron/GW-A/modbus/grp"));
    }

    /// <summary>A plain MQTTnet subscriber as the chargeledger user: collects the topics it receives.</summary>
    private async Task<ConcurrentBag<string>> ConsumerAsync()
    {
        var (consumer, result) = await ConnectAsync(Options(mosquitto.Port, MosquittoFixture.ConsumerUser, MosquittoFixture.ConsumerUser, Password));
        result.ResultCode.ShouldBe(MqttClientConnectResultCode.Success, mosquitto.Log);
        var topics = new ConcurrentBag<string>();
        consumer.ApplicationMessageReceivedAsync += e =>
        {
            topics.Add(e.ApplicationMessage.Topic);
            return Task.CompletedTask;
        };
        using var timeout = new CancellationTokenSource(Patience);
        var subscribed = await consumer.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("/neuron/#", MqttQualityOfServiceLevel.AtLeastOnce).Build(), timeout.Token);
        subscribed.Items.Single().ResultCode.ShouldBe(MqttClientSubscribeResultCode.GrantedQoS1, mosquitto.Log);
        return topics;
    }
}
