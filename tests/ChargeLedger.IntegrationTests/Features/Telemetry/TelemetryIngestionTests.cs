using System.Net;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Shared;
using ChargeLedger.Telemetry;

namespace ChargeLedger.IntegrationTests.Features.Telemetry;

/// <summary>
/// Issue 4 ingestion through the write side's <see cref="ITelemetryIngress"/> (what the MQTT adapter calls): per-device
/// streams, scaling, quality flags, redelivery dedupe and dead letters.
/// </summary>
[Collection(typeof(TelemetryCollection))]
public sealed class TelemetryIngestionTests(LedgerHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(GatewayCredentials Gateway, string Meter, string Transformer)> MappedGatewayAsync()
    {
        var gateway = await host.RegisteredGatewayAsync();
        var (meter, transformer) = (LedgerHost.NewId("MTR"), LedgerHost.NewId("TR"));
        await host.MappedDevicesAsync(gateway.Id,
            TelemetryScenarios.Device("meter-1", "import_kwh", meter, "meter", "Energy.Active.Import.Register", "Wh", 1000),
            TelemetryScenarios.Device("meter-1", "voltage", meter, "meter", "Voltage", "V", 0.1m),
            TelemetryScenarios.Device("trafo-1", "temp", transformer, "transformer", "Temperature", "Celsius"));
        return (gateway, meter, transformer);
    }

    private async Task<List<TelemetryRecorded>> RecordedAsync(string deviceId) =>
        [.. (await host.StreamAsync(StreamKeys.Device(deviceId))).Select(e => e.Data).Cast<TelemetryRecorded>()];

    private async Task<List<System.Text.Json.JsonElement>> DeadLettersAsync(string gatewayId) =>
        [.. (await host.Api(Roles.Operator).GetJsonAsync($"/api/telemetry/dead-letters?gatewayId={gatewayId}")).EnumerateArray()];

    [Fact]
    public async Task each_device_gets_its_scaled_samples_on_its_own_stream_with_error_codes_kept()
    {
        var (gateway, meter, transformer) = await MappedGatewayAsync();
        var at = DateTimeOffset.UtcNow.AddMinutes(-1);

        (await host.IngestAsync(gateway, "meter-1", at, ("import_kwh", 12.5m, null), ("voltage", 2301m, null))).ShouldBe(IngestOutcome.Recorded);
        (await host.IngestAsync(gateway, "trafo-1", at, ("temp", null, 2014))).ShouldBe(IngestOutcome.Recorded);

        var readings = (await RecordedAsync(meter)).ShouldHaveSingleItem();
        readings.StationId.ShouldBe(gateway.StationId);
        readings.GatewayId.ShouldBe(gateway.Id);
        readings.Kind.ShouldBe("meter");
        readings.MeasuredAt.ShouldBe(at);
        readings.Samples.ShouldBe([
            new TelemetrySample("import_kwh", "Energy.Active.Import.Register", "Wh", 12500m, null),
            new TelemetrySample("voltage", "Voltage", "V", 230.1m, null)]);
        (await RecordedAsync(transformer)).ShouldHaveSingleItem().Samples
            .ShouldBe([new TelemetrySample("temp", "Temperature", "Celsius", null, 2014)]);
    }

    [Fact]
    public async Task a_redelivered_message_is_recorded_once()
    {
        var (gateway, meter, _) = await MappedGatewayAsync();
        var at = DateTimeOffset.UtcNow.AddSeconds(-5);

        (await host.IngestAsync(gateway, "meter-1", at, ("import_kwh", 1m, null))).ShouldBe(IngestOutcome.Recorded);
        (await host.IngestAsync(gateway, "meter-1", at, ("import_kwh", 1m, null))).ShouldBe(IngestOutcome.Duplicate);
        (await host.IngestAsync(gateway, "meter-1", at.AddMilliseconds(1), ("import_kwh", 1m, null))).ShouldBe(IngestOutcome.Recorded);
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => host.IngestAsync(gateway, "meter-1", at.AddSeconds(1), ("import_kwh", 2m, null))));
        concurrent.Count(o => o == IngestOutcome.Recorded).ShouldBe(1);
        concurrent.Count(o => o == IngestOutcome.Duplicate).ShouldBe(7);

        (await RecordedAsync(meter)).Count.ShouldBe(3);
    }

    [Fact]
    public async Task unknown_nodes_unknown_tags_and_far_off_timestamps_are_dead_lettered_with_the_reason()
    {
        var (gateway, meter, _) = await MappedGatewayAsync();
        var now = DateTimeOffset.UtcNow;

        (await host.IngestAsync(gateway, "pump-9", now, ("flow", 1m, null))).ShouldBe(IngestOutcome.DeadLettered);
        (await host.IngestAsync(gateway, "meter-1", now, ("import_kwh", 3m, null), ("frequency", 50m, null))).ShouldBe(IngestOutcome.Recorded);
        (await host.IngestAsync(gateway, "meter-1", now.AddDays(-8), ("import_kwh", 3m, null))).ShouldBe(IngestOutcome.DeadLettered);
        (await host.IngestAsync(gateway, "meter-1", now.AddHours(1), ("import_kwh", 3m, null))).ShouldBe(IngestOutcome.DeadLettered);
        await host.Ingress().RejectAsync(new RejectedTelemetry(gateway.Id, gateway.TopicPrefix + "/modbus/grp", "Not JSON", "{{{", now), Ct);

        (await RecordedAsync(meter)).ShouldHaveSingleItem().Samples.ShouldHaveSingleItem().Tag.ShouldBe("import_kwh");
        var letters = await DeadLettersAsync(gateway.Id);
        letters.Count.ShouldBe(5);
        var reasons = letters.Select(l => l.GetProperty("reason").GetString()!).ToList();
        reasons.ShouldContain(r => r.Contains("Unknown node pump-9"));
        reasons.ShouldContain(r => r.Contains("not mapped: frequency"));
        reasons.ShouldContain(r => r.Contains("h old"));
        reasons.ShouldContain(r => r.Contains("ahead of the server clock"));
        letters.ShouldContain(l => l.GetProperty("reason").GetString() == "Not JSON" && l.GetProperty("payload").GetString() == "{{{"
                                   && l.GetProperty("topic").GetString() == gateway.TopicPrefix + "/modbus/grp");
        letters.ShouldContain(l => l.GetProperty("payload").GetString()!.Contains("\"node\":\"pump-9\""));
    }

    [Fact]
    public async Task dead_letters_need_the_operator_role()
    {
        (await host.Api(null).GetAsync("/api/telemetry/dead-letters", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await host.Api(Roles.Finance).GetAsync("/api/telemetry/dead-letters", Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }
}
