using static ChargeLedger.Tests.Mqtt.MqttScenario;

namespace ChargeLedger.Tests.Mqtt;

/// <summary>The embedded broker against another implementation's client: Eclipse Mosquitto's mosquitto_pub.</summary>
public class MosquittoClientTests(EmbeddedBrokerFixture fixture) : IClassFixture<EmbeddedBrokerFixture>
{
    private readonly MqttHost _host = fixture.Host;

    [Theory]
    [InlineData("mqttv311")]
    [InlineData("mqttv5")]
    public async Task mosquitto_pub_publishes_telemetry_that_is_ingested(string protocol)
    {
        Assert.SkipWhen(Tools.Find("mosquitto_pub") is null, MosquittoFixture.MissingMessage);
        var gateway = _host.Ingress.AddGateway();

        var (code, output) = await Tools.RunAsync("mosquitto_pub", Arguments(gateway.GatewayId, "secret-pw", gateway.Telemetry(), protocol));

        code.ShouldBe(0, output);
        var message = await _host.Ingress.NextIngestedAsync(gateway.GatewayId);
        message.Node.ShouldBe("meter-1");
        message.Tags.Count.ShouldBe(3);
    }

    [Fact]
    public async Task mosquitto_pub_with_a_wrong_password_is_refused()
    {
        Assert.SkipWhen(Tools.Find("mosquitto_pub") is null, MosquittoFixture.MissingMessage);
        var gateway = _host.Ingress.AddGateway();

        var (code, output) = await Tools.RunAsync("mosquitto_pub", Arguments(gateway.GatewayId, "wrong", gateway.Telemetry(), "mqttv5"));

        code.ShouldNotBe(0);
        output.ShouldContain("Bad user name or password", Case.Insensitive);
        _host.Ingress.HasIngested(gateway.GatewayId).ShouldBeFalse();
    }

    private string[] Arguments(string gatewayId, string password, string topic, string protocol) =>
    [
        "-h", "127.0.0.1", "-p", _host.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "-i", gatewayId, "-u", gatewayId, "-P", password, "-V", protocol,
        "-t", topic, "-q", "1", "-m", ValuesFormat(),
    ];
}
