using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using ChargeLedger.Stations;
using ChargeLedger.Tariffs;
using ChargeLedger.Transactions;

namespace ChargeLedger.Tests.Transactions;

public class PriceTransactionTests
{
    private static readonly DateTimeOffset Start = Scenario.Now.AddMinutes(-30);

    private static TariffPublished FlatVersion(int version, decimal price, DateTimeOffset validFrom) =>
        new("T-1", version, "EUR", [new TariffElement([new PriceComponent(ComponentTypes.Flat, price, 0m, null)])], validFrom, "ops", validFrom);

    private static Station Station(params object[] assignments) =>
        global::ChargeLedger.Stations.Station.Fold([new StationRegistered(Scenario.StationId, "Depot", "Europe/Berlin", Scenario.Now.AddDays(-30)), .. assignments])!;

    private static TariffAssignedToStation Assigned(DateTimeOffset validFrom) => new(Scenario.StationId, "T-1", validFrom, "ops", validFrom);

    private static TransactionRecord Stopped(params object[] more)
    {
        var entry = Scenario.Transaction("hash-2", [Scenario.Started(7, meterStartWh: 1_000, startedAt: Start), Scenario.Stopped(7, 3_000, Scenario.Now), .. more]);
        return new TransactionRecord(entry.State, entry.LastHash, []);
    }

    private static Decision<PricingOutcome> Price(PricingInputs inputs) =>
        PriceTransactionHandler.Handle(new PriceTransaction(Scenario.TransactionId(7)), inputs, Scenario.Clock());

    [Fact]
    public void a_stopped_transaction_is_priced_with_the_version_in_force_at_its_start_on_top_of_its_hash_chain()
    {
        var tariff = new TariffHistory("T-1", [FlatVersion(1, 1.00m, Start.AddDays(-10)), FlatVersion(2, 2.00m, Start.AddSeconds(1))], 2);
        var inputs = new PricingInputs(Stopped(), Station(Assigned(Start.AddDays(-10))), [], tariff);

        var decision = Price(inputs);

        decision.Result.ShouldBe(PricingOutcome.Priced);
        var append = decision.Change.SingleAppend();
        (append.StreamKey, append.ExpectedVersion, append.PreviousHash).ShouldBe((StreamKeys.Transaction(Scenario.TransactionId(7)), 2L, "hash-2"));
        var priced = append.Events.ShouldHaveSingleItem().ShouldBeOfType<TransactionPriced>();
        (priced.StationId, priced.IdTag, priced.TimeZone, priced.StartedAt, priced.StoppedAt, priced.PricedAt).ShouldBe(
            (Scenario.StationId, Scenario.TagId, "Europe/Berlin", Start, Scenario.Now, Scenario.Now));
        (priced.Pricing.TariffVersion, priced.Pricing.TotalCostExclVat, priced.Pricing.EnergyWh).ShouldBe(((int?)1, 1.00m, 2_000L));
    }

    [Fact]
    public void an_open_or_already_priced_transaction_or_an_unknown_one_is_left_alone()
    {
        var open = Scenario.Transaction("h", Scenario.Started(7));
        var priced = Stopped(new TransactionPriced(Scenario.TransactionId(7), Scenario.ChargePointId, Scenario.StationId, Scenario.TagId, "UTC",
            Start, Scenario.Now, TariffPricing.Unpriced("none", NodaTime.DateTimeZone.Utc,
                new SessionUsage(Start, Scenario.Now, 0, 0, [], [])), Scenario.Now));

        Price(new PricingInputs(new TransactionRecord(open.State, open.LastHash, []), null, [], null)).ShouldSatisfyAllConditions(
            d => d.Result.ShouldBe(PricingOutcome.NotStopped), d => d.Change.IsEmpty.ShouldBeTrue());
        Price(new PricingInputs(priced, Station(), [], null)).ShouldSatisfyAllConditions(
            d => d.Result.ShouldBe(PricingOutcome.AlreadyPriced), d => d.Change.IsEmpty.ShouldBeTrue());
        Price(PricingInputs.None).Result.ShouldBe(PricingOutcome.UnknownTransaction);
    }

    [Fact]
    public void a_session_longer_than_90_days_is_left_at_zero_for_finance_to_check()
    {
        // A stop in 2099 after a start in 2025 (a clock jump) is not billed for 74 years of charging.
        var entry = Scenario.Transaction("h2", Scenario.Started(7, startedAt: Start), Scenario.Stopped(7, 3_000, Start.AddYears(74)));
        var tariff = new TariffHistory("T-1", [FlatVersion(1, 1.00m, Start.AddDays(-10))], 1);

        var pricing = ((TransactionPriced)Price(new PricingInputs(new TransactionRecord(entry.State, "h2", []), Station(Assigned(Start.AddDays(-10))), [], tariff))
            .Change.SingleAppend().Events[0]).Pricing;

        pricing.UnpricedReason!.ShouldStartWith("The session lasted from 2025-03-01T11:30:00Z to 2099-03-01T11:30:00Z, longer than 90 days");
        (pricing.TotalCostInclVat, pricing.EnergyWh, pricing.SessionSeconds).ShouldBe((0m, 2_000L, (decimal)(Start.AddYears(74) - Start).TotalSeconds));
    }

    [Fact]
    public void without_a_tariff_to_price_with_the_transaction_is_priced_at_zero_with_the_reason()
    {
        string Reason(PricingInputs inputs) =>
            ((TransactionPriced)Price(inputs).Change.SingleAppend().Events[0]).Pricing.UnpricedReason!;
        var tooLate = new TariffHistory("T-1", [FlatVersion(1, 1.00m, Start.AddSeconds(1))], 1);

        Reason(new PricingInputs(Stopped(), null, [], null)).ShouldBe($"Station {Scenario.StationId} is not registered.");
        Reason(new PricingInputs(Stopped(), Station(), [], null)).ShouldBe($"No tariff was assigned to station {Scenario.StationId} at 2025-03-01T11:30:00Z.");
        Reason(new PricingInputs(Stopped(), Station(Assigned(Start.AddSeconds(1))), [], null))
            .ShouldBe($"No tariff was assigned to station {Scenario.StationId} at 2025-03-01T11:30:00Z.");
        Reason(new PricingInputs(Stopped(), Station(Assigned(Start.AddDays(-1))), [], tooLate)).ShouldBe("Tariff T-1 had no version valid at 2025-03-01T11:30:00Z.");
    }

    [Fact]
    public void a_page_is_decided_in_its_order_each_transaction_as_if_alone_and_at_one_time()
    {
        var tariff = new TariffHistory("T-1", [FlatVersion(1, 1.00m, Start.AddDays(-10))], 1);
        var stopped = new PricingInputs(Stopped(), Station(Assigned(Start.AddDays(-10))), [], tariff);
        var open = Scenario.Transaction("h", Scenario.Started(7));
        var page = new PricingPage([stopped, PricingInputs.None, new PricingInputs(new TransactionRecord(open.State, open.LastHash, []), null, [], null),
            new PricingInputs(Stopped(), null, [], null)]);

        var decisions = PriceTransactionsHandler.Handle(new PriceTransactions(["a", "b", "c", "d"]), page, Scenario.Clock()).Decisions;

        decisions.Select(d => d.Result).ShouldBe([PricingOutcome.Priced, PricingOutcome.UnknownTransaction, PricingOutcome.NotStopped, PricingOutcome.Priced]);
        decisions[0].ShouldBeEquivalentTo(Price(stopped));
        var unregistered = (TransactionPriced)decisions[3].Change.SingleAppend().Events[0];
        (unregistered.Pricing.UnpricedReason, unregistered.PricedAt).ShouldBe(($"Station {Scenario.StationId} is not registered.", Scenario.Now));
    }
}
