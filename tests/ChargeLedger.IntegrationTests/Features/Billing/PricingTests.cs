using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using ChargeLedger.Transactions;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace ChargeLedger.IntegrationTests.Features.Billing;

[CollectionDefinition]
public sealed class PricingCollection : ICollectionFixture<LedgerHost>;

/// <summary>CONTRACT.md Tariffs: a stopped session is priced from the event store into its own hash-chained stream.</summary>
[Collection(typeof(PricingCollection))]
public sealed class PricingTests(LedgerHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task a_stopped_session_is_priced_inside_its_hash_chain_with_the_tariff_version_in_force_at_its_start()
    {
        var (transactionId, stationId, idTag, _) = await host.ContractSessionAsync();

        var events = await host.PricedStreamAsync(transactionId);

        events.Select(e => e.EventTypeName).ShouldBe(
        [
            "transaction_started", "meter_values_recorded", "meter_values_recorded", "meter_values_recorded", "transaction_stopped",
            "transaction_priced",
        ]);
        var priced = (TransactionPriced)events[^1].Data;
        (priced.StationId, priced.IdTag, priced.TimeZone).ShouldBe((stationId, idTag, "Europe/Berlin"));
        var pricing = priced.Pricing;
        (pricing.TariffVersion, pricing.Currency, pricing.UnpricedReason).ShouldBe(((int?)1, "EUR", (string?)null));
        (pricing.EnergyWh, pricing.ChargingSeconds, pricing.ParkingSeconds).ShouldBe((3_500L, 1_800m, 600m));
        (pricing.TotalCostExclVat, pricing.TotalVat, pricing.TotalCostInclVat).ShouldBe((3.15m, 0.60m, 3.75m));

        var streamKey = StreamKeys.Transaction(transactionId);
        var chain = await host.StoredChainAsync(streamKey);
        chain.Count.ShouldBe(6);
        HashChain.FirstBrokenLink(streamKey, chain).ShouldBeNull();
        chain[^1].PreviousHash.ShouldBe(chain[^2].Hash);
    }

    [Fact]
    public async Task only_the_sessions_own_connector_decides_charging_and_parking_time()
    {
        // Contract tariff, 2 Mar 2026 09:00Z-09:40Z on connector 1, 1,000 -> 4,500 Wh. Connector 2 reports SuspendedEV at
        // 09:10Z; connector 1 reports nothing during the session, so all 40 min are charging time:
        //   ENERGY 3.5 kWh × 0.30 = 1.05; TIME 40 min = 2/3 h × 1.20 = 0.80; FLAT 0.50 -> excl. 2.35
        //   VAT 19 % = 0.4465 -> 0.45; incl. 2.80
        var stationId = await host.RegisteredStationAsync();
        await host.AssignedTariffAsync(stationId, await host.PublishedTariffAsync());
        var (cp, credentials) = await host.BootedChargePointAsync(stationId);
        await using var _ = cp;
        var start = Scenarios.SessionStart;
        var started = await cp.StartTransactionAsync(await host.IssuedIdTagAsync(), meterStart: 1_000, at: start);
        await cp.StatusAsync(2, "SuspendedEV", start.AddMinutes(10));
        await cp.StopTransactionAsync(started.TransactionId, 4_500, start.AddMinutes(40));

        var pricing = ((TransactionPriced)(await host.PricedStreamAsync(StreamKeys.TransactionId(credentials.Id, started.TransactionId)))[^1].Data).Pricing;

        (pricing.ChargingSeconds, pricing.ParkingSeconds).ShouldBe((2_400m, 0m));
        (pricing.TotalCostExclVat, pricing.TotalVat, pricing.TotalCostInclVat).ShouldBe((2.35m, 0.45m, 2.80m));
    }

    [Fact]
    public async Task a_transaction_already_priced_is_not_priced_again()
    {
        var (transactionId, _, _, _) = await host.ContractSessionAsync();
        await host.PricedStreamAsync(transactionId);
        var version = await host.StreamVersionAsync(StreamKeys.Transaction(transactionId));

        await using var scope = host.Services.CreateAsyncScope();
        var outcome = await host.Services.GetRequiredService<TransactionPricer>()
            .PriceAsync(scope.ServiceProvider.GetRequiredService<IMessageBus>(), transactionId, Ct);

        outcome.ShouldBe(PricingOutcome.AlreadyPriced);
        (await host.StreamVersionAsync(StreamKeys.Transaction(transactionId))).ShouldBe(version);
    }

    [Fact]
    public async Task a_session_at_a_station_without_a_tariff_is_priced_at_zero_with_the_reason()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        var started = await cp.StartTransactionAsync(await host.IssuedIdTagAsync(), meterStart: 0);
        await cp.StopTransactionAsync(started.TransactionId, 2_000, started.StartedAt.AddMinutes(30));
        var transactionId = StreamKeys.TransactionId(credentials.Id, started.TransactionId);

        var pricing = ((TransactionPriced)(await host.PricedStreamAsync(transactionId))[^1].Data).Pricing;

        pricing.UnpricedReason.ShouldBe($"No tariff was assigned to station {credentials.StationId} at 2026-03-02T09:00:00Z.");
        (pricing.TariffId, pricing.Currency).ShouldBe(((string?)null, (string?)null));
        (pricing.EnergyWh, pricing.SessionSeconds).ShouldBe((2_000L, 1_800m));
        (pricing.TotalCostExclVat, pricing.TotalVat, pricing.TotalCostInclVat).ShouldBe((0m, 0m, 0m));
    }

    [Fact]
    public async Task a_late_session_is_priced_with_the_version_in_force_at_its_start_not_at_its_arrival()
    {
        // v1 (valid since 2020): FLAT 1.00. v2 (valid from 1 Mar 2026): FLAT 2.00. The charge point was offline and sends
        // a session of 15 Feb 2026 only now, after v2 took effect: v1 applies. A session of 2 Mar 2026 gets v2.
        var tariffId = LedgerHost.NewId("T");
        await host.PublishedTariffAsync(FlatTariff(tariffId, 1.00m, "2020-01-01T00:00:00Z"), tariffId);
        await host.PublishedTariffAsync(FlatTariff(tariffId, 2.00m, "2026-03-01T00:00:00Z"), tariffId);
        var stationId = await host.RegisteredStationAsync();
        await host.AssignedTariffAsync(stationId, tariffId);
        var (cp, credentials) = await host.BootedChargePointAsync(stationId);
        await using var _ = cp;
        var idTag = await host.IssuedIdTagAsync();
        var late = await cp.StartTransactionAsync(idTag, meterStart: 0, at: new DateTimeOffset(2026, 2, 15, 9, 0, 0, TimeSpan.Zero));
        await cp.StopTransactionAsync(late.TransactionId, 1_000, late.StartedAt.AddHours(1));
        var recent = await cp.StartTransactionAsync(idTag, meterStart: 1_000);
        await cp.StopTransactionAsync(recent.TransactionId, 2_000, recent.StartedAt.AddHours(1));

        var latePricing = ((TransactionPriced)(await host.PricedStreamAsync(StreamKeys.TransactionId(credentials.Id, late.TransactionId)))[^1].Data).Pricing;
        var recentPricing = ((TransactionPriced)(await host.PricedStreamAsync(StreamKeys.TransactionId(credentials.Id, recent.TransactionId)))[^1].Data).Pricing;

        (latePricing.TariffVersion, latePricing.TotalCostExclVat).ShouldBe(((int?)1, 1.00m));
        (recentPricing.TariffVersion, recentPricing.TotalCostExclVat).ShouldBe(((int?)2, 2.00m));
    }

    [Fact]
    public async Task a_page_of_transactions_is_read_in_one_batch_with_each_transactions_own_station_tariff_and_status_reports()
    {
        // The contract session (3.75 incl., 10 min parking) at one station; at another, the same tariff with day energy at
        // 0.20 and no status report during the session (40 min charging): ENERGY 3.5 × 0.20 = 0.70, TIME 2/3 h × 1.20 = 0.80,
        // FLAT 0.50 -> excl. 2.00, VAT 0.38, incl. 2.38.
        var (contract, contractStation, _, _) = await host.ContractSessionAsync();
        var cheaper = LedgerHost.NewId("T");
        await host.PublishedTariffAsync(TariffScenarios.ContractTariff(cheaper, "2020-01-01T00:00:00Z", dayEnergyPrice: 0.20m), cheaper);
        var (other, otherStation) = await SessionWithoutStatusReportsAsync(cheaper);
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        var open = StreamKeys.TransactionId(credentials.Id, (await cp.StartTransactionAsync(await host.IssuedIdTagAsync(), meterStart: 0)).TransactionId);
        var unknown = $"{credentials.Id}:999999";

        var inputs = await host.Services.GetRequiredService<LedgerStore>().LoadPricingInputsAsync(
            [new PricingRead(other), new PricingRead(unknown), new PricingRead(contract), new PricingRead(open), new PricingRead(other)], Ct);

        inputs[1].ShouldBe(PricingInputs.None);
        (inputs[3].Transaction!.State.IsStopped, inputs[3].Station, inputs[3].Tariff).ShouldBe((false, (Stations.Station?)null, (Tariffs.TariffHistory?)null));
        var (otherPricing, contractPricing) = (TransactionPricing.InForce(inputs[0]), TransactionPricing.InForce(inputs[2]));
        (inputs[0].Station!.Id, inputs[0].Tariff!.TariffId, inputs[2].Station!.Id).ShouldBe((otherStation, cheaper, contractStation));
        (otherPricing.ChargingSeconds, otherPricing.ParkingSeconds, otherPricing.TotalCostExclVat, otherPricing.TotalCostInclVat).ShouldBe((2_400m, 0m, 2.00m, 2.38m));
        (contractPricing.ChargingSeconds, contractPricing.ParkingSeconds, contractPricing.TotalCostInclVat).ShouldBe((1_800m, 600m, 3.75m));
        TransactionPricing.InForce(inputs[4]).ShouldBeEquivalentTo(otherPricing);
        (await host.Services.GetRequiredService<LedgerStore>().LoadPricingInputsAsync([], Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task pricing_the_same_page_three_times_at_once_beside_the_subscription_prices_each_transaction_once()
    {
        var page = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            page.Add((await host.ContractSessionAsync()).TransactionId);
        }

        page.Add(page[0]);
        await using var scope = host.Services.CreateAsyncScope();
        var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
        var pricer = host.Services.GetRequiredService<TransactionPricer>();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => pricer.PriceAsync(bus, page, Ct), Ct)));

        foreach (var transactionId in page.Distinct())
        {
            var events = await host.PricedStreamAsync(transactionId);
            events.Count(e => e.Data is TransactionPriced).ShouldBe(1);
            ((TransactionPriced)events[^1].Data).Pricing.TotalCostInclVat.ShouldBe(3.75m);
            HashChain.FirstBrokenLink(StreamKeys.Transaction(transactionId), await host.StoredChainAsync(StreamKeys.Transaction(transactionId))).ShouldBeNull();
        }

        outcomes.SelectMany(o => o).ShouldAllBe(o => o == PricingOutcome.Priced || o == PricingOutcome.AlreadyPriced);
        for (var i = 0; i < page.Count; i++)
        {
            var transactionId = page[i];
            outcomes.Sum(o => o.Where((_, j) => page[j] == transactionId).Count(x => x == PricingOutcome.Priced)).ShouldBeLessThanOrEqualTo(1);
        }
    }

    /// <summary>A 40-minute session (09:00Z-09:40Z, 1,000 -> 4,500 Wh) at a new station with this tariff, no status reports.</summary>
    private async Task<(string TransactionId, string StationId)> SessionWithoutStatusReportsAsync(string tariffId)
    {
        var stationId = await host.RegisteredStationAsync();
        await host.AssignedTariffAsync(stationId, tariffId);
        var (cp, credentials) = await host.BootedChargePointAsync(stationId);
        await using var _ = cp;
        var started = await cp.StartTransactionAsync(await host.IssuedIdTagAsync(), meterStart: 1_000, at: Scenarios.SessionStart);
        await cp.StopTransactionAsync(started.TransactionId, 4_500, Scenarios.SessionStart.AddMinutes(40));
        return (StreamKeys.TransactionId(credentials.Id, started.TransactionId), stationId);
    }

    internal static object FlatTariff(string id, decimal price, string validFrom) => new
    {
        id,
        currency = "EUR",
        validFrom,
        elements = new[] { new { priceComponents = new[] { new { type = "FLAT", price, vatPercent = 0m } } } },
    };
}
