using System.Net.Http.Json;
using System.Text;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Mqtt.Broker;
using ChargeLedger.Shared;
using ChargeLedger.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace ChargeLedger.IntegrationTests.Features.Telemetry;

/// <summary>
/// Issue 4 end to end: a gateway registered over HTTP connects to the host's embedded broker with a real MQTT client,
/// publishes Neuron payloads at QoS 1, and the PUBACK means the telemetry is in the event store.
/// </summary>
[Collection(typeof(TelemetryCollection))]
public sealed class MqttEndToEndTests(LedgerHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private int Port => host.Services.GetRequiredService<MqttBrokerEndpoints>().Port;

    private async Task<(IMqttClient Client, MqttClientConnectResult Result)> ConnectAsync(string clientId, string username, string password)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Port).WithClientId(clientId)
            .WithCredentials(username, password).WithTimeout(TimeSpan.FromSeconds(10)).Build();
        // MQTTnet 5 returns a refused CONNACK as the result rather than throwing.
        return (client, await client.ConnectAsync(options, Ct));
    }

    private static MqttApplicationMessage Message(string topic, string json) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(Encoding.UTF8.GetBytes(json))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    [Fact]
    public async Task values_and_tags_format_are_recorded_before_the_puback_and_garbage_is_dead_lettered()
    {
        var gateway = await host.RegisteredGatewayAsync();
        var (meter, transformer) = (LedgerHost.NewId("MTR"), LedgerHost.NewId("TR"));
        await host.MappedDevicesAsync(gateway.Id,
            TelemetryScenarios.Device("meter-1", "import_wh", meter, "meter", "Energy.Active.Import.Register", "Wh"),
            TelemetryScenarios.Device("trafo-1", "temp", transformer, "transformer", "Temperature", "Celsius"));
        var (client, connected) = await ConnectAsync(gateway.Id, gateway.Id, gateway.Password);
        using var _ = client;
        connected.ResultCode.ShouldBe(MqttClientConnectResultCode.Success);
        var ms = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var topic = $"{gateway.TopicPrefix}/modbus/grp";

        var values = await client.PublishAsync(Message(topic, $$$"""{"timestamp":{{{ms}}},"node":"meter-1","group":"grp","values":{"import_wh":1234.5}}"""), Ct);
        values.ReasonCode.ShouldBe(MqttClientPublishReasonCode.Success);
        // Acknowledged means committed: read at once, no waiting.
        var reading = (await host.StreamAsync(StreamKeys.Device(meter))).ShouldHaveSingleItem().Data.ShouldBeOfType<TelemetryRecorded>();
        reading.Samples.ShouldHaveSingleItem().Value.ShouldBe(1234.5m);
        reading.MeasuredAt.ToUnixTimeMilliseconds().ShouldBe(ms);

        var tags = await client.PublishAsync(Message(topic,
            $$$"""{"timestamp":{{{ms}}},"node":"trafo-1","group":"grp","tags":[{"name":"temp","value":71},{"name":"fan","error":2014}]}"""), Ct);
        tags.ReasonCode.ShouldBe(MqttClientPublishReasonCode.Success);
        (await host.StreamAsync(StreamKeys.Device(transformer))).ShouldHaveSingleItem().Data.ShouldBeOfType<TelemetryRecorded>()
            .Samples.ShouldHaveSingleItem().Value.ShouldBe(71m);

        (await client.PublishAsync(Message(topic, "not json at all"), Ct)).ReasonCode.ShouldBe(MqttClientPublishReasonCode.Success);
        client.IsConnected.ShouldBeTrue();
        var letters = (await host.Api(Access.Roles.Operator).GetJsonAsync($"/api/telemetry/dead-letters?gatewayId={gateway.Id}")).EnumerateArray().ToList();
        letters.ShouldContain(l => l.GetProperty("payload").GetString() == "not json at all" && l.GetProperty("topic").GetString() == topic);
        letters.ShouldContain(l => l.GetProperty("reason").GetString()!.Contains("fan"));
    }

    /// <summary>Issue 4 "alarms raised and cleared", through the broker: a threshold held for forSeconds of gateway time, then released.</summary>
    [Fact]
    public async Task a_threshold_rule_raises_an_alarm_from_mqtt_telemetry_and_a_normal_sample_clears_it()
    {
        var gateway = await host.RegisteredGatewayAsync();
        var (transformer, measurand) = (LedgerHost.NewId("TR"), LedgerHost.NewId("OilTemperature"));
        await host.MappedDevicesAsync(gateway.Id, TelemetryScenarios.Device("trafo-1", "temp", transformer, "transformer", measurand, "Celsius"));
        (await host.Api(Access.Roles.Operator).PostAsJsonAsync("/api/alarm-rules",
                new { id = LedgerHost.NewId("R"), kind = "transformer", measurand, comparator = ">", threshold = 85, forSeconds = 60, severity = "major" }, Ct))
            .StatusCode.ShouldBe(System.Net.HttpStatusCode.Created);
        var (client, connected) = await ConnectAsync(gateway.Id, gateway.Id, gateway.Password);
        using var _ = client;
        connected.ResultCode.ShouldBe(MqttClientConnectResultCode.Success);

        var t0 = DateTimeOffset.UtcNow.AddMinutes(-3);
        foreach (var (seconds, temp) in new[] { (0, 91), (30, 92), (61, 93), (90, 70) })
        {
            var ms = t0.AddSeconds(seconds).ToUnixTimeMilliseconds();
            (await client.PublishAsync(Message($"{gateway.TopicPrefix}/modbus/grp",
                $$$"""{"timestamp":{{{ms}}},"node":"trafo-1","group":"grp","values":{"temp":{{{temp}}}}}"""), Ct)).ReasonCode.ShouldBe(MqttClientPublishReasonCode.Success);
        }

        await host.WaitForProjectionsAsync();
        var alarm = (await host.Api(Access.Roles.Operator).GetJsonAsync($"/api/alarms?stationId={gateway.StationId}")).EnumerateArray().ShouldHaveSingleItem();
        alarm.GetProperty("kind").GetString().ShouldBe("telemetry_threshold");
        alarm.GetProperty("severity").GetString().ShouldBe("major");
        alarm.GetProperty("source").GetString().ShouldBe($"device:{transformer}");
        alarm.GetProperty("raisedAt").GetDateTimeOffset().ToUnixTimeMilliseconds().ShouldBe(t0.AddSeconds(61).ToUnixTimeMilliseconds());
        alarm.GetProperty("clearedAt").GetDateTimeOffset().ToUnixTimeMilliseconds().ShouldBe(t0.AddSeconds(90).ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task a_wrong_password_or_another_gateways_client_id_is_refused_and_foreign_topics_are_not_recorded()
    {
        var gateway = await host.RegisteredGatewayAsync();
        var other = await host.RegisteredGatewayAsync();
        var meter = LedgerHost.NewId("MTR");
        await host.MappedDevicesAsync(other.Id, TelemetryScenarios.Device("meter-1", "import_wh", meter, "meter", "Energy.Active.Import.Register", "Wh"));

        var (wrong, refused) = await ConnectAsync(gateway.Id, gateway.Id, gateway.Password + "x");
        using (wrong)
        {
            refused.ResultCode.ShouldBe(MqttClientConnectResultCode.BadUserNameOrPassword);
        }

        var (thief, takeover) = await ConnectAsync(other.Id, gateway.Id, gateway.Password);
        using (thief)
        {
            takeover.ResultCode.ShouldBe(MqttClientConnectResultCode.ClientIdentifierNotValid);
        }

        var (client, connected) = await ConnectAsync(gateway.Id, gateway.Id, gateway.Password);
        using var _ = client;
        connected.ResultCode.ShouldBe(MqttClientConnectResultCode.Success);
        var ms = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var foreign = await client.PublishAsync(
            Message($"{other.TopicPrefix}/modbus/grp", $$$"""{"timestamp":{{{ms}}},"node":"meter-1","group":"grp","values":{"import_wh":1}}"""), Ct);
        foreign.ReasonCode.ShouldNotBe(MqttClientPublishReasonCode.Success);
        (await host.StreamVersionAsync(StreamKeys.Device(meter))).ShouldBe(0);
    }
}
