using System.Net;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Telemetry;

namespace ChargeLedger.IntegrationTests.Features.Telemetry;

/// <summary>DESIGN.md: operators watch the platform with Prometheus; GET /metrics serves every ChargeLedger meter, open like /health.</summary>
[Collection(typeof(TelemetryCollection))]
public sealed class MetricsTests(LedgerHost host)
{
    [Fact]
    public async Task prometheus_scrapes_the_chargeledger_meters_without_a_key()
    {
        var gateway = await host.RegisteredGatewayAsync();
        await host.MappedDevicesAsync(gateway.Id, TelemetryScenarios.Device("m", "t", LedgerHost.NewId("MTR"), "meter", "Voltage", "V"));
        (await host.IngestAsync(gateway, "m", DateTimeOffset.UtcNow, ("t", 230m, null))).ShouldBe(IngestOutcome.Recorded);

        var text = await Eventually.ReturnsAsync(
            async () =>
            {
                using var response = await host.Api(null).GetAsync("/metrics", TestContext.Current.CancellationToken);
                response.StatusCode.ShouldBe(HttpStatusCode.OK);
                return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            },
            t => t.Contains("chargeledger_telemetry_values", StringComparison.Ordinal) && t.Contains("chargeledger_ledger_commit_ms", StringComparison.Ordinal),
            "the scrape shows the telemetry and ledger meters");
        text.ShouldContain("http_server_request_duration");
    }
}
