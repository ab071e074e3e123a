using System.Net;
using System.Net.Http.Json;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ChargeLedger.IntegrationTests.Features.Telemetry;

[CollectionDefinition]
public sealed class TelemetryCollection : ICollectionFixture<LedgerHost>;

/// <summary>CONTRACT.md MQTT: gateway registration and device maps (operator role), and gateway authentication.</summary>
[Collection(typeof(TelemetryCollection))]
public sealed class GatewayTests(LedgerHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Operator => host.Api(Roles.Operator);

    [Fact]
    public async Task a_gateway_is_registered_once_with_a_generated_password_and_authenticates_with_it()
    {
        var gateway = await host.RegisteredGatewayAsync();
        gateway.TopicPrefix.ShouldBe($"/neuron/{gateway.Id}");
        gateway.Password.Length.ShouldBeGreaterThanOrEqualTo(16);
        await using (var session = host.Services.GetRequiredService<Marten.IDocumentStore>().QuerySession())
        {
            (await session.LoadAsync<Gateways.GatewayAccount>(gateway.Id, Ct)).ShouldNotBeNull().PasswordHash.ShouldStartWith("hmac-sha256$");
        }

        var identity = await host.Ingress().AuthenticateAsync(gateway.Id, gateway.Password, Ct);
        identity.ShouldNotBeNull().StationId.ShouldBe(gateway.StationId);
        identity.TopicPrefix.ShouldBe(gateway.TopicPrefix);
        (await host.Ingress().AuthenticateAsync(gateway.Id, gateway.Password + "x", Ct)).ShouldBeNull();
        (await host.Ingress().AuthenticateAsync("GW-unknown", gateway.Password, Ct)).ShouldBeNull();
        (await host.Ingress().AuthenticateAsync(gateway.Id, gateway.Password, Ct)).ShouldNotBeNull(); // the cached check

        var same = await Operator.PostAsJsonAsync("/api/gateways", new { id = gateway.Id, stationId = gateway.StationId, password = gateway.Password }, Ct);
        same.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await same.ReadJsonAsync()).TryGetProperty("password", out _).ShouldBeFalse();
        (await Operator.PostAsJsonAsync("/api/gateways", new { id = gateway.Id, stationId = gateway.StationId, password = "another-password-123" }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await Operator.PostAsJsonAsync("/api/gateways", new { id = gateway.Id, stationId = gateway.StationId, topicPrefix = "/other" }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task a_topic_prefix_belongs_to_one_gateway_by_whole_levels()
    {
        var stationId = await host.RegisteredStationAsync();
        var prefix = "/site/" + LedgerHost.NewId("P");
        (await Operator.PostAsJsonAsync("/api/gateways", new { id = LedgerHost.NewId("GW"), stationId, topicPrefix = prefix }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        (await Operator.PostAsJsonAsync("/api/gateways", new { id = LedgerHost.NewId("GW"), stationId, topicPrefix = prefix + "/sub" }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await Operator.PostAsJsonAsync("/api/gateways", new { id = LedgerHost.NewId("GW"), stationId, topicPrefix = prefix }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await Operator.PostAsJsonAsync("/api/gateways", new { id = LedgerHost.NewId("GW"), stationId, topicPrefix = prefix + "0" }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.Created);

        (await host.Ingress().GatewayForTopicAsync(prefix + "/modbus/grp", Ct)).ShouldNotBeNull().TopicPrefix.ShouldBe(prefix);
        (await host.Ingress().GatewayForTopicAsync(prefix + "0/modbus/grp", Ct)).ShouldNotBeNull().TopicPrefix.ShouldBe(prefix + "0");
        (await host.Ingress().GatewayForTopicAsync("/nobody/modbus/grp", Ct)).ShouldBeNull();
    }

    [Theory]
    [InlineData("/neuron/#")]
    [InlineData("/neuron/+/x")]
    [InlineData("$SYS/gw")]
    [InlineData("/neuron/gw/")]
    [InlineData("/neuron//gw")]
    [InlineData("")]
    public async Task an_invalid_topic_prefix_is_a_400_naming_the_field(string topicPrefix)
    {
        var stationId = await host.RegisteredStationAsync();
        var body = await (await Operator.PostAsJsonAsync("/api/gateways", new { id = LedgerHost.NewId("GW"), stationId, topicPrefix }, Ct))
            .ReadJsonAsync(HttpStatusCode.BadRequest);
        body.GetProperty("errors").TryGetProperty("topicPrefix", out _).ShouldBeTrue(body.ToString());
    }

    [Fact]
    public async Task registration_needs_the_operator_role_and_a_known_station()
    {
        var request = new { id = LedgerHost.NewId("GW"), stationId = "ST-nope" };
        (await host.Api(null).PostAsJsonAsync("/api/gateways", request, Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await host.Api(Roles.Finance).PostAsJsonAsync("/api/gateways", request, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var body = await (await Operator.PostAsJsonAsync("/api/gateways", request, Ct)).ReadJsonAsync(HttpStatusCode.BadRequest);
        body.GetProperty("errors").TryGetProperty("stationId", out _).ShouldBeTrue(body.ToString());
    }

    [Fact]
    public async Task a_device_map_replaces_the_previous_one_and_is_validated()
    {
        var gateway = await host.RegisteredGatewayAsync();
        var meter = TelemetryScenarios.Device("meter-1", "import_wh", LedgerHost.NewId("MTR"), "meter", "Energy.Active.Import.Register", "Wh");
        await host.MappedDevicesAsync(gateway.Id, meter);
        var read = await Operator.GetJsonAsync($"/api/gateways/{gateway.Id}");
        read.GetProperty("devices").GetArrayLength().ShouldBe(1);
        read.GetProperty("devices")[0].GetProperty("kind").GetString().ShouldBe("meter");

        var duplicate = await (await Operator.PutAsJsonAsync($"/api/gateways/{gateway.Id}/devices", new[] { meter, meter }, Ct))
            .ReadJsonAsync(HttpStatusCode.BadRequest);
        duplicate.GetProperty("errors").TryGetProperty("devices", out _).ShouldBeTrue(duplicate.ToString());
        var badKind = await (await Operator.PutAsJsonAsync($"/api/gateways/{gateway.Id}/devices",
                new[] { TelemetryScenarios.Device("n", "t", "DEV-1", "toaster", "Temperature", "Celsius") }, Ct))
            .ReadJsonAsync(HttpStatusCode.BadRequest);
        badKind.GetProperty("errors").TryGetProperty("devices[0].kind", out _).ShouldBeTrue(badKind.ToString());
        (await Operator.PutAsJsonAsync("/api/gateways/GW-unknown/devices", new[] { meter }, Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        await host.MappedDevicesAsync(gateway.Id);
        (await Operator.GetJsonAsync($"/api/gateways/{gateway.Id}")).GetProperty("devices").GetArrayLength().ShouldBe(0);
    }
}
