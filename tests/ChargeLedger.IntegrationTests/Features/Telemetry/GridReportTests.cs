using System.Net;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Telemetry;

namespace ChargeLedger.IntegrationTests.Features.Telemetry;

/// <summary>CONTRACT.md GET /api/reports/grid: station meter import beside the energy its charge points delivered.</summary>
[Collection(typeof(TelemetryCollection))]
public sealed class GridReportTests(LedgerHost host)
{
    // Yesterday 10:00 UTC: recent enough for telemetry (gateway timestamps up to 7 days old are accepted), and in
    // December, so Europe/Berlin is UTC+1 and the hour is local 11:00.
    private static readonly DateTimeOffset T0 = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-1).AddHours(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string LocalDate => T0.ToOffset(TimeSpan.FromHours(1)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The charge point delivers 3,000 Wh (10:00-10:30 UTC). The station meter imports 4,000 Wh from 10:00 to 10:30, is
    /// reset to 50 Wh at 10:45 (flagged, nothing subtracted) and imports 1,000 Wh more by 11:00: 5,000 Wh in local hour
    /// 11:00, loss ratio (5,000 - 3,000) / 5,000 = 0.4.
    /// </summary>
    private async Task<string> StationWithMeterAndSessionAsync()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using (cp)
        {
            var started = await cp.StartTransactionAsync(await host.IssuedIdTagAsync(), meterStart: 1000, at: T0);
            await cp.StopTransactionAsync(started.TransactionId, 4000, T0.AddMinutes(30));
        }

        var gateway = await host.RegisteredGatewayAsync(credentials.StationId);
        await host.MappedDevicesAsync(gateway.Id,
            TelemetryScenarios.Device("meter-1", "import_wh", LedgerHost.NewId("MTR"), "meter", "Energy.Active.Import.Register", "Wh"),
            TelemetryScenarios.Device("trafo-1", "temp", LedgerHost.NewId("TR"), "transformer", "Temperature", "Celsius"));
        foreach (var (minutes, wh) in new[] { (0, 100_000m), (30, 104_000m), (45, 50m), (60, 1_050m) })
        {
            (await host.IngestAsync(gateway, "meter-1", T0.AddMinutes(minutes), ("import_wh", wh, null))).ShouldBe(IngestOutcome.Recorded);
        }

        (await host.IngestAsync(gateway, "trafo-1", T0, ("temp", 61m, null))).ShouldBe(IngestOutcome.Recorded);
        await host.WaitForProjectionsAsync();
        return credentials.StationId;
    }

    [Fact]
    public async Task import_delivery_and_loss_per_station_local_hour_with_a_meter_reset_flagged_not_subtracted()
    {
        var stationId = await StationWithMeterAndSessionAsync();

        var rows = (await host.Api(Roles.Operator).GetJsonAsync($"/api/reports/grid?from={LocalDate}&to={LocalDate}&groupBy=hour&stationId={stationId}"))
            .EnumerateArray().ToList();

        var row = rows.ShouldHaveSingleItem();
        row.GetProperty("stationId").GetString().ShouldBe(stationId);
        row.GetProperty("period").GetString().ShouldBe($"{LocalDate}T11:00:00+01:00");
        row.GetProperty("gridImportWh").GetInt64().ShouldBe(5000);
        row.GetProperty("deliveredWh").GetInt64().ShouldBe(3000);
        row.GetProperty("lossRatio").GetDecimal().ShouldBe(0.4m);
        row.GetProperty("meterResets").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task the_day_row_adds_up_and_a_station_without_import_has_a_null_loss_ratio()
    {
        var stationId = await StationWithMeterAndSessionAsync();
        var day = (await host.Api(Roles.Operator).GetJsonAsync($"/api/reports/grid?from={LocalDate}&to={LocalDate}&groupBy=day&stationId={stationId}"))
            .EnumerateArray().ShouldHaveSingleItem();
        day.GetProperty("period").GetString().ShouldBe(LocalDate);
        day.GetProperty("gridImportWh").GetInt64().ShouldBe(5000);

        var (cp, credentials) = await host.BootedChargePointAsync();
        await using (cp)
        {
            var started = await cp.StartTransactionAsync(await host.IssuedIdTagAsync(), meterStart: 0, at: T0);
            await cp.StopTransactionAsync(started.TransactionId, 700, T0.AddMinutes(10));
        }

        await host.WaitForProjectionsAsync();
        var noMeter = (await host.Api(Roles.Operator).GetJsonAsync(
            $"/api/reports/grid?from={LocalDate}&to={LocalDate}&groupBy=day&stationId={credentials.StationId}")).EnumerateArray().ShouldHaveSingleItem();
        noMeter.GetProperty("gridImportWh").GetInt64().ShouldBe(0);
        noMeter.GetProperty("deliveredWh").GetInt64().ShouldBe(700);
        noMeter.GetProperty("lossRatio").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task the_report_validates_its_query_and_needs_the_operator_role()
    {
        (await host.Api(Roles.Finance).GetAsync($"/api/reports/grid?from={LocalDate}&to={LocalDate}", Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var body = await (await host.Api(Roles.Operator).GetAsync("/api/reports/grid?from=2026-13-01&to=2026-01-01&groupBy=week", Ct))
            .ReadJsonAsync(HttpStatusCode.BadRequest);
        body.GetProperty("errors").TryGetProperty("from", out _).ShouldBeTrue(body.ToString());
        body.GetProperty("errors").TryGetProperty("groupBy", out _).ShouldBeTrue(body.ToString());
    }
}
