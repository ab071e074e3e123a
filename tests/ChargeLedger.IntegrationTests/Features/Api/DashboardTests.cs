using System.Net;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;

namespace ChargeLedger.IntegrationTests.Features.Api;

/// <summary>The operators' dashboard page and the charge point list it reads (CONTRACT.md "Starting it": HTTP, the dashboard and OCPP on one port).</summary>
[Collection(typeof(ReadCollection))]
public sealed class DashboardTests(LedgerHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task the_dashboard_page_is_served_without_a_key_and_holds_no_data()
    {
        using var response = await host.Api(null).GetAsync("/dashboard", Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        var page = await response.Content.ReadAsStringAsync(Ct);
        page.ShouldContain("/api/chargepoints");
        page.ShouldContain("/api/alarms?active=true");
    }

    [Fact]
    public async Task charge_points_are_listed_by_station_and_connection_for_operators_only()
    {
        var stationId = await host.RegisteredStationAsync();
        var (cp, online) = await host.BootedChargePointAsync(stationId);
        await using var connected = cp;
        var offline = await host.RegisteredChargePointAsync(stationId);
        await host.WaitForProjectionsAsync();

        var all = (await host.Api(Roles.Operator).GetJsonAsync($"/api/chargepoints?stationId={stationId}")).EnumerateArray()
            .Select(r => (Id: r.GetProperty("id").GetString(), Connected: r.GetProperty("connected").GetBoolean())).ToList();
        all.ShouldBe(new[] { (online.Id, true), (offline.Id, false) }.OrderBy(x => x.Id, StringComparer.Ordinal).Select(x => ((string?)x.Id, x.Item2)).ToList());
        var onlineOnly = (await host.Api(Roles.Operator).GetJsonAsync($"/api/chargepoints?stationId={stationId}&connected=true")).EnumerateArray().ToList();
        onlineOnly.ShouldHaveSingleItem().GetProperty("id").GetString().ShouldBe(online.Id);
        (await host.Api(Roles.Finance).GetAsync("/api/chargepoints", Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }
}
