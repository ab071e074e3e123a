using System.Net;
using System.Net.Http.Json;
using ChargeLedger.Access;
using ChargeLedger.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace ChargeLedger.IntegrationTests.Infrastructure;

public sealed record GatewayCredentials(string Id, string Password, string StationId, string TopicPrefix);

public static class TelemetryScenarios
{
    /// <summary>A gateway on <paramref name="stationId"/> (a new station when null) with the default prefix "/neuron/{id}" and a generated password.</summary>
    public static async Task<GatewayCredentials> RegisteredGatewayAsync(this LedgerHost host, string? stationId = null)
    {
        stationId ??= await host.RegisteredStationAsync();
        var id = LedgerHost.NewId("GW");
        var body = await (await host.Api(Roles.Operator).PostAsJsonAsync("/api/gateways", new { id, stationId }, TestContext.Current.CancellationToken))
            .ReadJsonAsync(HttpStatusCode.Created);
        return new GatewayCredentials(id, body.GetProperty("password").GetString()!, stationId, body.GetProperty("topicPrefix").GetString()!);
    }

    public static async Task MappedDevicesAsync(this LedgerHost host, string gatewayId, params object[] devices) =>
        await (await host.Api(Roles.Operator).PutAsJsonAsync($"/api/gateways/{gatewayId}/devices", devices, TestContext.Current.CancellationToken))
            .ReadJsonAsync();

    public static object Device(string node, string tag, string deviceId, string kind, string measurand, string unit, decimal scale = 1) =>
        new { node, tag, deviceId, kind, measurand, unit, scale };

    public static ITelemetryIngress Ingress(this LedgerHost host) => host.Services.GetRequiredService<ITelemetryIngress>();

    public static Task<IngestOutcome> IngestAsync(this LedgerHost host, GatewayCredentials gateway, string node, DateTimeOffset at,
        params (string Tag, decimal? Value, int? Error)[] tags) =>
        host.Ingress().IngestAsync(
            new NeuronMessage(gateway.Id, $"{gateway.TopicPrefix}/modbus/grp", node, "grp", at,
                [.. tags.Select(t => new NeuronTagValue(t.Tag, t.Value, t.Error))], DateTimeOffset.UtcNow),
            TestContext.Current.CancellationToken);
}
