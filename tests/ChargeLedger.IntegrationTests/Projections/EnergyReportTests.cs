using System.Net;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;

namespace ChargeLedger.IntegrationTests.Projections;

[CollectionDefinition]
public sealed class EnergyReportCollection : ICollectionFixture<LedgerHost>;

/// <summary>CONTRACT.md GET /api/reports/energy, fed by real OCPP sessions through the Energy projection.</summary>
[Collection(typeof(EnergyReportCollection))]
public sealed class EnergyReportTests(LedgerHost host)
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 50, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A session on a new Europe/Berlin station (UTC+1 in March): 09:50 UTC 1,000 Wh, MeterValues 10:05 2,500 Wh, stop
    /// 10:20 4,000 Wh. Local hour 10:00 gets 10 of the first segment's 15 minutes (1,000 Wh); local hour 11:00 gets the
    /// rest (500 Wh) and the whole second segment (1,500 Wh).
    /// </summary>
    private async Task<ChargePointCredentials> SessionAsync(string? stationId = null, int connectorId = 1)
    {
        var (cp, credentials) = await host.BootedChargePointAsync(stationId);
        await using var _ = cp;
        var started = await cp.StartTransactionAsync(await host.IssuedIdTagAsync(), connectorId: connectorId, meterStart: 1000, at: Start);
        await cp.MeterValuesAsync(started.TransactionId, 2500, Start.AddMinutes(15), connectorId);
        await cp.StopTransactionAsync(started.TransactionId, 4000, Start.AddMinutes(30));
        return credentials;
    }

    private static List<JsonElement> Rows(JsonElement body) => [.. body.EnumerateArray()];

    [Fact]
    public async Task a_real_session_is_reported_per_station_local_hour_and_day()
    {
        var credentials = await SessionAsync();
        await host.WaitForProjectionsAsync();
        var api = host.Api(Roles.Operator);

        var hours = Rows(await api.GetJsonAsync($"/api/reports/energy?from=2026-03-02&to=2026-03-02&groupBy=hour&stationId={credentials.StationId}"));
        var days = Rows(await api.GetJsonAsync($"/api/reports/energy?from=2026-03-01&to=2026-03-03&groupBy=day&stationId={credentials.StationId}"));

        hours.Select(r => (r.GetProperty("period").GetString(), r.GetProperty("energyWh").GetInt64(), r.GetProperty("sessions").GetInt32())).ShouldBe(
            [("2026-03-02T10:00:00+01:00", 1000L, 1), ("2026-03-02T11:00:00+01:00", 2000L, 1)]);
        foreach (var row in hours)
        {
            row.GetProperty("stationId").GetString().ShouldBe(credentials.StationId);
            row.GetProperty("chargePointId").GetString().ShouldBe(credentials.Id);
            row.TryGetProperty("connectorId", out _).ShouldBeFalse();
        }

        hours[0].GetProperty("periodStart").GetString().ShouldBe("2026-03-02T09:00:00Z");
        // 1,500 Wh in 15 minutes: 6,000 W average in every slot of the session.
        hours.ShouldAllBe(r => r.GetProperty("peakPowerW").GetInt64() == 6000);
        var day = days.ShouldHaveSingleItem();
        (day.GetProperty("period").GetString(), day.GetProperty("energyWh").GetInt64(), day.GetProperty("sessions").GetInt32()).ShouldBe(("2026-03-02", 3000L, 1));
    }

    [Fact]
    public async Task rows_are_filtered_by_station_and_charge_point_and_grouped_by_level()
    {
        var first = await SessionAsync();
        var second = await SessionAsync(first.StationId, connectorId: 2);
        var otherStation = await SessionAsync();
        await host.WaitForProjectionsAsync();
        var api = host.Api(Roles.Operator);
        const string Range = "from=2026-03-02&to=2026-03-02&groupBy=day";

        var byChargePoint = Rows(await api.GetJsonAsync($"/api/reports/energy?{Range}&stationId={first.StationId}"));
        var byStation = Rows(await api.GetJsonAsync($"/api/reports/energy?{Range}&stationId={first.StationId}&level=station"));
        var byConnector = Rows(await api.GetJsonAsync($"/api/reports/energy?{Range}&chargePointId={second.Id}&level=connector"));
        var everything = Rows(await api.GetJsonAsync($"/api/reports/energy?{Range}"));

        byChargePoint.Select(r => r.GetProperty("chargePointId").GetString()).ShouldBe(new[] { first.Id, second.Id }.Order(StringComparer.Ordinal));
        byChargePoint.ShouldAllBe(r => r.GetProperty("energyWh").GetInt64() == 3000);
        var station = byStation.ShouldHaveSingleItem();
        station.GetProperty("chargePointId").ValueKind.ShouldBe(JsonValueKind.Null);
        (station.GetProperty("energyWh").GetInt64(), station.GetProperty("sessions").GetInt32()).ShouldBe((6000L, 2));
        var connector = byConnector.ShouldHaveSingleItem();
        (connector.GetProperty("chargePointId").GetString(), connector.GetProperty("connectorId").GetInt32()).ShouldBe((second.Id, 2));
        everything.Select(r => r.GetProperty("stationId").GetString()).ShouldContain(otherStation.StationId);
        everything.Select(r => r.GetProperty("stationId").GetString()).ShouldContain(first.StationId);
        byChargePoint.ShouldNotContain(r => r.GetProperty("stationId").GetString() == otherStation.StationId);
    }

    [Fact]
    public async Task the_report_is_for_operators()
    {
        const string Path = "/api/reports/energy?from=2026-03-02&to=2026-03-02&groupBy=day";

        (await host.Api(null).GetAsync(Path, Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await host.Api(Roles.Finance).GetAsync(Path, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await host.Api(Roles.Developer).GetAsync(Path, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await host.Api(Roles.Operator).GetAsync(Path, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await host.Api(Roles.Admin).GetAsync(Path, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("to=2026-03-02&groupBy=day", "from")]
    [InlineData("from=2026-3-2&to=2026-03-02", "from")]
    [InlineData("from=2026-03-02&to=2026-02-30", "to")]
    [InlineData("from=0001-01-01&to=0001-01-02", "from")]
    [InlineData("from=2026-03-02&to=2026-03-01", "to")]
    [InlineData("from=2026-01-01&to=2026-03-01&groupBy=hour", "to")]
    [InlineData("from=2026-03-02&to=2026-03-02&groupBy=week", "groupBy")]
    [InlineData("from=2026-03-02&to=2026-03-02&level=site", "level")]
    [InlineData("from=2026-03-02&to=2026-03-02&stationId=..%2Fx", "stationId")]
    public async Task a_bad_query_is_400_naming_the_field(string query, string field)
    {
        var response = await host.Api(Roles.Operator).GetAsync($"/api/reports/energy?{query}", Ct);

        var problem = await response.ReadJsonAsync(HttpStatusCode.BadRequest);
        problem.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue(problem.GetRawText());
    }
}
