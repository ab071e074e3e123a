using ChargeLedger.Ledger;
using ChargeLedger.Stations;
using ChargeLedger.Tariffs;
using ChargeLedger.Tests.Tariffs;
using ChargeLedger.Transactions;
using CsCheck;

namespace ChargeLedger.Tests.Transactions;

public class RepriceTransactionTests
{
    private static readonly DateTimeOffset Start = Scenario.Now.AddHours(-2);

    private static TariffPublished FlatVersion(int version, decimal price, DateTimeOffset validFrom, string currency = "EUR") =>
        new("T-1", version, currency, [new TariffElement([new PriceComponent(ComponentTypes.Flat, price, 19m, null)])], validFrom, "ops", validFrom);

    private static Station StationWith(string timeZone, DateTimeOffset assignedFrom) => Station.Fold(
    [
        new StationRegistered(Scenario.StationId, "Depot", timeZone, Start.AddDays(-30)),
        new TariffAssignedToStation(Scenario.StationId, "T-1", assignedFrom, "ops", assignedFrom),
    ])!;

    /// <summary>A stopped transaction of <paramref name="usage"/>, priced the way the subscription prices it.</summary>
    private static PricingInputs PricedInputs(SessionUsage usage, string timeZone, TariffHistory tariff)
    {
        var events = new List<object>
        {
            Scenario.Started(7, meterStartWh: usage.MeterStartWh, startedAt: usage.StartedAt),
            Scenario.Stopped(7, usage.MeterStopWh, usage.StoppedAt),
        };
        var station = StationWith(timeZone, usage.StartedAt.AddDays(-1));
        var stopped = Transaction.Fold(events)!;
        var inputs = new PricingInputs(new TransactionRecord(stopped, "h2", usage.Readings), station, usage.StatusChanges, tariff);
        var priced = PriceTransactionHandler.Handle(new PriceTransaction(stopped.Id), inputs, Scenario.Clock()).Change.SingleAppend().Events;
        return inputs with { Transaction = new TransactionRecord(Transaction.Fold([.. events, .. priced])!, "h3", usage.Readings) };
    }

    private static Decision<RepriceOutcome> Reprice(PricingInputs inputs, string reason = "tariff correction", int? version = null) =>
        RepriceTransactionHandler.Decide(new RepriceTransaction(reason, null, version), inputs, "finance-key", Scenario.Now);

    private static SessionUsage Usage => new(Start, Start.AddHours(1), 0, 10_000, [], []);

    [Fact]
    public void re_rating_with_the_same_tariff_version_is_a_zero_adjustment_for_any_session()
    {
        Gen.Select(TariffPricingPropertyTests.Tariffs, TariffPricingPropertyTests.Sessions, Gen.OneOf(TariffPricingPropertyTests.Zones))
            .Sample((tariff, usage, zone) =>
            {
                var published = new TariffPublished("T-1", 1, tariff.Currency, tariff.Elements, usage.StartedAt.AddDays(-1), "ops", usage.StartedAt);
                var inputs = PricedInputs(usage, zone, new TariffHistory("T-1", [published], 1));

                var repriced = Reprice(inputs).Result.Repriced.ShouldNotBeNull();

                (repriced.AdjustmentExclVat, repriced.AdjustmentVat, repriced.AdjustmentInclVat).ShouldBe((0m, 0m, 0m));
                repriced.Pricing.ChargingPeriods.ShouldBe(inputs.Transaction!.State.Pricing!.ChargingPeriods);
                repriced.Pricing.Lines.ShouldBe(inputs.Transaction.State.Pricing.Lines);
            }, iter: 200);
    }

    [Fact]
    public void a_correction_valid_from_before_the_start_gives_a_credit_note_against_the_effective_pricing()
    {
        // v1 FLAT 10.00 (VAT 19 %: 1.90, incl. 11.90). A correction v2 FLAT 8.00 (1.52, 9.52), valid from before the start:
        // credit note -2.00 / -0.38 / -2.38. Re-rating again changes nothing more: the effective pricing is now v2.
        var v1 = FlatVersion(1, 10.00m, Start.AddDays(-10));
        var inputs = PricedInputs(Usage, "Europe/Berlin", new TariffHistory("T-1", [v1], 1));
        inputs = inputs with { Tariff = new TariffHistory("T-1", [v1, FlatVersion(2, 8.00m, Start.AddDays(-5))], 2) };

        var decision = Reprice(inputs);

        var repriced = decision.Result.Repriced.ShouldNotBeNull();
        (repriced.PreviousTariffId, repriced.PreviousTariffVersion, repriced.Pricing.TariffVersion).ShouldBe(("T-1", (int?)1, (int?)2));
        (repriced.AdjustmentExclVat, repriced.AdjustmentVat, repriced.AdjustmentInclVat).ShouldBe((-2.00m, -0.38m, -2.38m));
        (repriced.Reason, repriced.RequestedBy, repriced.RepricedAt).ShouldBe(("tariff correction", "finance-key", Scenario.Now));
        var append = decision.Change.SingleAppend();
        (append.ExpectedVersion, append.PreviousHash).ShouldBe((3L, "h3"));

        var after = inputs with
        {
            Transaction = inputs.Transaction! with { State = Transaction.Advance(inputs.Transaction.State, repriced)!, LastHash = "h4" },
        };
        var again = Reprice(after).Result.Repriced.ShouldNotBeNull();
        (again.PreviousTariffVersion, again.AdjustmentInclVat).ShouldBe(((int?)2, 0m));
        var back = Reprice(after, version: 1).Result.Repriced.ShouldNotBeNull();
        back.AdjustmentInclVat.ShouldBe(2.38m);
    }

    [Fact]
    public void what_cannot_be_re_rated_is_refused_with_its_reason()
    {
        var history = new TariffHistory("T-1", [FlatVersion(1, 1m, Start.AddDays(-1))], 1);
        var priced = PricedInputs(Usage, "Europe/Berlin", history);
        var open = Scenario.Transaction("h1", Scenario.Started(7, startedAt: Start));
        var stoppedUnpriced = Transaction.Fold([Scenario.Started(7, startedAt: Start), Scenario.Stopped(7, 2_000, Start.AddHours(1))])!;
        var chf = new TariffHistory("T-1", [FlatVersion(1, 1m, Start.AddDays(-1), "CHF")], 1);

        Reprice(PricingInputs.None).Result.Status.ShouldBe(RepriceStatus.UnknownTransaction);
        Reprice(priced with { Transaction = new TransactionRecord(open.State, "h1", []) }).Result.Status.ShouldBe(RepriceStatus.NotStopped);
        Reprice(priced with { Transaction = new TransactionRecord(stoppedUnpriced, "h2", []) }).Result.Status.ShouldBe(RepriceStatus.NotPriced);
        Reprice(priced, version: 2).Result.Status.ShouldBe(RepriceStatus.UnknownTariffVersion);
        Reprice(priced with { Tariff = null }).Result.Status.ShouldBe(RepriceStatus.NoTariff);
        Reprice(priced with { Tariff = new TariffHistory("T-1", [FlatVersion(1, 1m, Start.AddSeconds(1))], 1) }).Result.Status.ShouldBe(RepriceStatus.NoTariff);
        Reprice(priced with { Tariff = chf }).Result.Status.ShouldBe(RepriceStatus.CurrencyChange);
        RepriceTransactionHandler.Decide(new RepriceTransaction("r", "T-9", null), priced with { Tariff = new TariffHistory("T-9", [], 0) }, "f", Scenario.Now)
            .Result.Status.ShouldBe(RepriceStatus.UnknownTariff);
        foreach (var refused in new[] { Reprice(PricingInputs.None), Reprice(priced with { Tariff = chf }) })
        {
            refused.Change.IsEmpty.ShouldBeTrue();
        }
    }
}
