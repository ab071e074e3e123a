using System.Net;
using System.Net.Http.Json;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using ChargeLedger.Transactions;

namespace ChargeLedger.IntegrationTests.Features.Billing;

[CollectionDefinition]
public sealed class RepriceCollection : ICollectionFixture<LedgerHost>;

/// <summary>DESIGN.md: finance re-rates after a tariff correction with credit notes rather than overwrites.</summary>
[Collection(typeof(RepriceCollection))]
public sealed class RepriceTests(LedgerHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Finance => host.Api(Roles.Finance);

    /// <summary>
    /// The contract session (excl. 3.15, VAT 0.60, incl. 3.75) re-rated after a correction: version 2 of the same tariff
    /// charges 0.25/kWh in the day instead of 0.30 and is valid from before the session's start.
    ///   ENERGY 3.5 kWh × 0.25 = 0.875; + TIME 0.60 + PARKING 1.00 + FLAT 0.50 = 2.975 -> 2.98
    ///   VAT 19 % of 2.975 = 0.56525 -> 0.57; incl. 3.55
    ///   credit note: -0.17 excl., -0.03 VAT, -0.20 incl.
    /// </summary>
    [Fact]
    public async Task a_re_rating_appends_the_new_pricing_and_a_credit_note_inside_the_hash_chain_without_overwriting()
    {
        var (transactionId, _, _, tariffId) = await host.ContractSessionAsync();
        await host.PricedStreamAsync(transactionId);
        await host.PublishedTariffAsync(TariffScenarios.ContractTariff(tariffId, "2020-01-01T00:00:00Z", dayEnergyPrice: 0.25m), tariffId);

        var body = await (await Finance.PostAsJsonAsync($"/api/transactions/{transactionId}/reprice",
            new { reason = "Day energy price corrected to 0.25" }, Ct)).ReadJsonAsync();

        body.GetProperty("tariffVersion").GetInt32().ShouldBe(2);
        body.GetProperty("previousTariffVersion").GetInt32().ShouldBe(1);
        body.GetProperty("totalCostInclVat").GetDecimal().ShouldBe(3.55m);
        (body.GetProperty("adjustmentExclVat").GetDecimal(), body.GetProperty("adjustmentVat").GetDecimal(),
            body.GetProperty("adjustmentInclVat").GetDecimal()).ShouldBe((-0.17m, -0.03m, -0.20m));
        body.GetProperty("requestedBy").GetString().ShouldBe(Roles.Finance);

        var streamKey = StreamKeys.Transaction(transactionId);
        var events = await host.StreamAsync(streamKey);
        events.Select(e => e.EventTypeName).TakeLast(2).ShouldBe(["transaction_priced", "transaction_repriced"]);
        ((TransactionPriced)events[^2].Data).Pricing.TotalCostInclVat.ShouldBe(3.75m);
        var repriced = (TransactionRepriced)events[^1].Data;
        (repriced.Reason, repriced.RequestedBy).ShouldBe(("Day energy price corrected to 0.25", Roles.Finance));
        HashChain.FirstBrokenLink(streamKey, await host.StoredChainAsync(streamKey)).ShouldBeNull();
    }

    [Fact]
    public async Task re_rating_with_the_same_tariff_is_a_recorded_zero_adjustment()
    {
        var (transactionId, _, _, _) = await host.ContractSessionAsync();
        await host.PricedStreamAsync(transactionId);

        var body = await (await host.Api(Roles.Admin).PostAsJsonAsync($"/api/transactions/{transactionId}/reprice",
            new { reason = "Customer query: checked" }, Ct)).ReadJsonAsync();

        body.GetProperty("adjustmentInclVat").GetDecimal().ShouldBe(0m);
        body.GetProperty("totalCostInclVat").GetDecimal().ShouldBe(3.75m);
        (await host.StreamAsync(StreamKeys.Transaction(transactionId)))[^1].EventTypeName.ShouldBe("transaction_repriced");
    }

    [Fact]
    public async Task re_rating_needs_the_finance_role_a_reason_and_a_known_tariff()
    {
        var (transactionId, _, _, _) = await host.ContractSessionAsync();
        await host.PricedStreamAsync(transactionId);
        var path = $"/api/transactions/{transactionId}/reprice";
        var version = await host.StreamVersionAsync(StreamKeys.Transaction(transactionId));

        (await host.Api(null).PostAsJsonAsync(path, new { reason = "x" }, Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await host.Api(Roles.Operator).PostAsJsonAsync(path, new { reason = "x" }, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var noReason = await (await Finance.PostAsJsonAsync(path, new { reason = "" }, Ct)).ReadJsonAsync(HttpStatusCode.BadRequest);
        noReason.GetProperty("errors").EnumerateObject().Select(p => p.Name).ShouldBe(["reason"]);
        var unknownTariff = await (await Finance.PostAsJsonAsync(path, new { reason = "x", tariffId = LedgerHost.NewId("T") }, Ct))
            .ReadJsonAsync(HttpStatusCode.BadRequest);
        unknownTariff.GetProperty("errors").TryGetProperty("tariffId", out _).ShouldBeTrue();
        var unknownVersion = await (await Finance.PostAsJsonAsync(path, new { reason = "x", tariffVersion = 9 }, Ct))
            .ReadJsonAsync(HttpStatusCode.BadRequest);
        unknownVersion.GetProperty("errors").TryGetProperty("tariffVersion", out _).ShouldBeTrue();
        (await host.StreamVersionAsync(StreamKeys.Transaction(transactionId))).ShouldBe(version);
    }

    [Fact]
    public async Task an_unknown_transaction_is_404_and_a_running_one_409()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        var running = await cp.StartTransactionAsync(await host.IssuedIdTagAsync());

        var unknown = await Finance.PostAsJsonAsync($"/api/transactions/{credentials.Id}:2146999999/reprice", new { reason = "x" }, Ct);
        var open = await Finance.PostAsJsonAsync($"/api/transactions/{credentials.Id}:{running.TransactionId}/reprice", new { reason = "x" }, Ct);

        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        open.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await open.ReadJsonAsync(HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain("has not stopped");
    }
}
