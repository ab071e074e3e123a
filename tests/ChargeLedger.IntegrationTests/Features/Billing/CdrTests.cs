using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;

namespace ChargeLedger.IntegrationTests.Features.Billing;

[CollectionDefinition]
public sealed class CdrCollection : ICollectionFixture<LedgerHost>;

/// <summary>CONTRACT.md Reads: GET /api/transactions/{id}/cdr, the charge detail record read model.</summary>
[Collection(typeof(CdrCollection))]
public sealed class CdrTests(LedgerHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Finance => host.Api(Roles.Finance);

    [Fact]
    public async Task a_priced_session_has_a_charge_detail_record_with_ocpi_charging_periods()
    {
        // TariffScenarios.ContractSessionAsync: 09:00Z-09:40Z; 1,000 Wh at the start, 4,000 Wh at 09:30Z (SuspendedEV),
        // 4,500 Wh at the stop. Period 1 charging 09:00-09:30: 3.0 kWh, 0.5 h; period 2 parking 09:30-09:40: 0.5 kWh,
        // 1/6 h = 0.166667 h. Totals excl. 3.15, VAT 0.60, incl. 3.75 (worked out in ContractSessionAsync).
        var (transactionId, stationId, idTag, tariffId) = await host.ContractSessionAsync();

        var cdr = await CdrAsync(transactionId);

        cdr.GetProperty("transactionId").GetString().ShouldBe(transactionId);
        cdr.GetProperty("stationId").GetString().ShouldBe(stationId);
        cdr.GetProperty("idTag").GetString().ShouldBe(idTag);
        cdr.GetProperty("tariffId").GetString().ShouldBe(tariffId);
        cdr.GetProperty("tariffVersion").GetInt32().ShouldBe(1);
        cdr.GetProperty("currency").GetString().ShouldBe("EUR");
        cdr.GetProperty("startedAt").GetString().ShouldBe("2026-03-02T09:00:00Z");
        cdr.GetProperty("stoppedAt").GetString().ShouldBe("2026-03-02T09:40:00Z");
        cdr.GetProperty("totalEnergyKwh").GetDecimal().ShouldBe(3.5m);
        cdr.GetProperty("totalTimeHours").GetDecimal().ShouldBe(0.666667m);
        cdr.GetProperty("totalParkingTimeHours").GetDecimal().ShouldBe(0.166667m);
        (cdr.GetProperty("totalCostExclVat").GetDecimal(), cdr.GetProperty("totalVat").GetDecimal(), cdr.GetProperty("totalCostInclVat").GetDecimal())
            .ShouldBe((3.15m, 0.60m, 3.75m));
        cdr.GetProperty("adjustments").GetArrayLength().ShouldBe(0);

        var periods = cdr.GetProperty("chargingPeriods").EnumerateArray().ToList();
        periods.Select(p => p.GetProperty("startDateTime").GetString()).ShouldBe(["2026-03-02T09:00:00Z", "2026-03-02T09:30:00Z"]);
        Dimensions(periods[0]).ShouldBe([("ENERGY", 3.0m), ("TIME", 0.5m)]);
        Dimensions(periods[1]).ShouldBe([("ENERGY", 0.5m), ("PARKING_TIME", 0.166667m)]);
        periods[0].GetProperty("tariffId").GetString().ShouldBe(tariffId);
    }

    [Fact]
    public async Task a_re_rating_shows_as_an_adjustment_and_the_totals_become_the_effective_ones()
    {
        var (transactionId, _, _, tariffId) = await host.ContractSessionAsync();
        await host.PricedStreamAsync(transactionId);
        await host.PublishedTariffAsync(TariffScenarios.ContractTariff(tariffId, "2020-01-01T00:00:00Z", dayEnergyPrice: 0.25m), tariffId);
        (await Finance.PostAsJsonAsync($"/api/transactions/{transactionId}/reprice", new { reason = "Day energy price corrected" }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.OK);

        var cdr = await CdrAsync(transactionId, adjustments: 1);

        cdr.GetProperty("tariffVersion").GetInt32().ShouldBe(2);
        cdr.GetProperty("totalCostInclVat").GetDecimal().ShouldBe(3.55m);
        var adjustment = cdr.GetProperty("adjustments").EnumerateArray().ShouldHaveSingleItem();
        adjustment.GetProperty("adjustmentInclVat").GetDecimal().ShouldBe(-0.20m);
        adjustment.GetProperty("previousTariffVersion").GetInt32().ShouldBe(1);
        adjustment.GetProperty("reason").GetString().ShouldBe("Day energy price corrected");
        adjustment.GetProperty("requestedBy").GetString().ShouldBe(Roles.Finance);
    }

    [Fact]
    public async Task a_running_transaction_has_no_cdr_yet_and_the_cdr_is_for_finance_only()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        var running = await cp.StartTransactionAsync(await host.IssuedIdTagAsync());
        await host.WaitForProjectionsAsync();
        var (stopped, _, _, _) = await host.ContractSessionAsync();
        await CdrAsync(stopped);

        (await Finance.GetAsync($"/api/transactions/{credentials.Id}:{running.TransactionId}/cdr", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await Finance.GetAsync($"/api/transactions/{running.TransactionId}/cdr", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await host.Api(Roles.Operator).GetAsync($"/api/transactions/{stopped}/cdr", Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await host.Api(null).GetAsync($"/api/transactions/{stopped}/cdr", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var byOcppId = await host.Api(Roles.Admin).GetJsonAsync($"/api/transactions/{stopped.Split(':')[1]}/cdr");
        byOcppId.GetProperty("transactionId").GetString().ShouldBe(stopped);
    }

    /// <summary>Waits (bounded) for the CDR of <paramref name="transactionId"/> with at least <paramref name="adjustments"/> adjustments.</summary>
    private async Task<JsonElement> CdrAsync(string transactionId, int adjustments = 0)
    {
        await host.PricedStreamAsync(transactionId, 1 + adjustments);
        await host.WaitForProjectionsAsync();
        return await Finance.GetJsonAsync($"/api/transactions/{transactionId}/cdr");
    }

    private static List<(string, decimal)> Dimensions(JsonElement period) =>
        [.. period.GetProperty("dimensions").EnumerateArray().Select(d => (d.GetProperty("type").GetString()!, d.GetProperty("volume").GetDecimal()))];
}
