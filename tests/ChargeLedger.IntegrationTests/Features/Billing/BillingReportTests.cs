using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Shared;

namespace ChargeLedger.IntegrationTests.Features.Billing;

[CollectionDefinition]
public sealed class BillingReportCollection : ICollectionFixture<LedgerHost>;

/// <summary>
/// CONTRACT.md Reads: GET /api/reports/billing, JSON and CSV. Only the first test here creates sessions (all in April 2026),
/// so the report's rows are exactly the ones worked out below.
/// </summary>
[Collection(typeof(BillingReportCollection))]
public sealed class BillingReportTests(LedgerHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Finance => host.Api(Roles.Finance);

    /// <summary>
    /// Tariff: ENERGY 0.50/kWh + FLAT 1.00, VAT 19 %. Stations A (tariff) and B (none), both Europe/Berlin (CEST, UTC+2).
    ///   1. A, tag X, 7 Apr 10:00Z (12:00 local), 2,000 Wh: 1.00 + 1.00 = 2.00, VAT 0.38, incl. 2.38 -> day 2026-04-07
    ///   2. A, tag Y, 7 Apr 22:30Z (00:30 local on the 8th), 4,000 Wh: 2.00 + 1.00 = 3.00, VAT 0.57, incl. 3.57 -> day 2026-04-08
    ///   3. B, tag X, 7 Apr 12:00Z, 1,000 Wh: no tariff, 0 and no currency -> day 2026-04-07
    ///   4. A, tag X, 9 Apr 10:00Z: outside from=2026-04-07, to=2026-04-08
    /// The day a session counts on is its station-local start date: session 2 is the 7th in UTC but the 8th at the station.
    /// </summary>
    [Fact]
    public async Task the_report_sums_effective_cdr_totals_per_key_and_currency_by_station_local_start_date_in_json_and_csv()
    {
        var tariffId = LedgerHost.NewId("T");
        await host.PublishedTariffAsync(new
        {
            id = tariffId,
            currency = "EUR",
            validFrom = "2020-01-01T00:00:00Z",
            elements = new[]
            {
                new { priceComponents = new object[] { new { type = "ENERGY", price = 0.50m, vatPercent = 19m }, new { type = "FLAT", price = 1.00m, vatPercent = 19m } } },
            },
        }, tariffId);
        var stationA = await host.RegisteredStationAsync();
        var stationB = await host.RegisteredStationAsync();
        await host.AssignedTariffAsync(stationA, tariffId);
        var tagX = "X" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        var tagY = "Y,\"" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        var transactions = new List<string>
        {
            await SessionAsync(stationA, tagX, new DateTimeOffset(2026, 4, 7, 10, 0, 0, TimeSpan.Zero), 2_000),
            await SessionAsync(stationA, tagY, new DateTimeOffset(2026, 4, 7, 22, 30, 0, TimeSpan.Zero), 4_000),
            await SessionAsync(stationB, tagX, new DateTimeOffset(2026, 4, 7, 12, 0, 0, TimeSpan.Zero), 1_000),
            await SessionAsync(stationA, tagX, new DateTimeOffset(2026, 4, 9, 10, 0, 0, TimeSpan.Zero), 1_000),
        };
        foreach (var transactionId in transactions)
        {
            await host.PricedStreamAsync(transactionId);
        }

        await host.WaitForProjectionsAsync();
        const string Range = "from=2026-04-07&to=2026-04-08";

        Rows(await Finance.GetJsonAsync($"/api/reports/billing?{Range}&groupBy=station")).ShouldBe(
            [(stationA, 2, 6m, 5.00m, 0.95m, 5.95m, "EUR"), (stationB, 1, 1m, 0m, 0m, 0m, null)], ignoreOrder: true);
        Rows(await Finance.GetJsonAsync($"/api/reports/billing?{Range}&groupBy=day")).ShouldBe(
        [
            ("2026-04-07", 1, 2m, 2.00m, 0.38m, 2.38m, "EUR"), ("2026-04-07", 1, 1m, 0m, 0m, 0m, null),
            ("2026-04-08", 1, 4m, 3.00m, 0.57m, 3.57m, "EUR"),
        ]);
        Rows(await Finance.GetJsonAsync($"/api/reports/billing?{Range}&groupBy=idTag")).ShouldBe(
            [(tagX, 1, 2m, 2.00m, 0.38m, 2.38m, "EUR"), (tagX, 1, 1m, 0m, 0m, 0m, null), (tagY, 1, 4m, 3.00m, 0.57m, 3.57m, "EUR")],
            ignoreOrder: true);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/reports/billing?{Range}&groupBy=idTag");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        var csv = await Finance.SendAsync(request, Ct);
        csv.StatusCode.ShouldBe(HttpStatusCode.OK);
        csv.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        var text = await csv.Content.ReadAsStringAsync(Ct);
        text.ShouldEndWith("\r\n");
        var lines = text[..^2].Split("\r\n");
        lines[0].ShouldBe("key,sessions,energyKwh,totalCostExclVat,totalVat,totalCostInclVat,currency");
        lines[1..].ShouldBe(
        [
            $"{tagX},1,2,2.00,0.38,2.38,EUR",
            $"{tagX},1,1,0.00,0.00,0.00,",
            $"\"{tagY.Replace("\"", "\"\"", StringComparison.Ordinal)}\",1,4,3.00,0.57,3.57,EUR",
        ], ignoreOrder: true);
    }

    [Fact]
    public async Task invalid_report_parameters_are_400_naming_each_field()
    {
        var missing = await (await Finance.GetAsync("/api/reports/billing?groupBy=month", Ct)).ReadJsonAsync(HttpStatusCode.BadRequest);
        var reversed = await (await Finance.GetAsync("/api/reports/billing?from=2026-04-08&to=2026-04-07", Ct)).ReadJsonAsync(HttpStatusCode.BadRequest);
        var badDate = await (await Finance.GetAsync("/api/reports/billing?from=2026-4-7&to=2026-04-31", Ct)).ReadJsonAsync(HttpStatusCode.BadRequest);

        Fields(missing).ShouldBe(["from", "to", "groupBy"], ignoreOrder: true);
        Fields(reversed).ShouldBe(["to"]);
        Fields(badDate).ShouldBe(["from", "to"], ignoreOrder: true);
    }

    [Fact]
    public async Task the_billing_report_is_for_finance_only()
    {
        const string Path = "/api/reports/billing?from=2026-01-01&to=2026-01-31&groupBy=day";

        (await host.Api(null).GetAsync(Path, Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await host.Api(Roles.Operator).GetAsync(Path, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await host.Api(Roles.Developer).GetAsync(Path, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await host.Api(Roles.Finance).GetAsync(Path, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await host.Api(Roles.Admin).GetAsync(Path, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private async Task<string> SessionAsync(string stationId, string idTag, DateTimeOffset start, long energyWh)
    {
        var (cp, credentials) = await host.BootedChargePointAsync(stationId);
        await using var _ = cp;
        var started = await cp.StartTransactionAsync(idTag, meterStart: 0, at: start);
        await cp.StopTransactionAsync(started.TransactionId, energyWh, start.AddHours(1));
        return StreamKeys.TransactionId(credentials.Id, started.TransactionId);
    }

    private static List<(string, int, decimal, decimal, decimal, decimal, string?)> Rows(JsonElement rows) =>
    [
        .. rows.EnumerateArray().Select(r => (r.GetProperty("key").GetString()!, r.GetProperty("sessions").GetInt32(), r.GetProperty("energyKwh").GetDecimal(),
            r.GetProperty("totalCostExclVat").GetDecimal(), r.GetProperty("totalVat").GetDecimal(), r.GetProperty("totalCostInclVat").GetDecimal(),
            r.GetProperty("currency").GetString())),
    ];

    private static IEnumerable<string> Fields(JsonElement problem) => problem.GetProperty("errors").EnumerateObject().Select(p => p.Name);
}
