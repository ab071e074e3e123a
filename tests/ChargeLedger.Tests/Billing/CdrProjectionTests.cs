using ChargeLedger.Projections.Billing;
using ChargeLedger.Tariffs;
using ChargeLedger.Transactions;
using NodaTime;

namespace ChargeLedger.Tests.Billing;

public class CdrProjectionTests
{
    private static readonly DateTimeOffset Start = new(2026, 4, 7, 22, 30, 0, TimeSpan.Zero);

    private static PricingResult Flat(int version, decimal price) => TariffPricing.Price(
        new Tariff("T-1", version, "EUR", Start.AddDays(-1), [new TariffElement([new PriceComponent(ComponentTypes.Flat, price, 19m, null)])]),
        DateTimeZone.Utc, new SessionUsage(Start, Start.AddHours(1), 0, 4_000, [], []));

    [Fact]
    public void a_cdr_counts_on_the_station_local_start_date_and_shows_the_effective_totals_after_each_adjustment()
    {
        // 22:30Z on 7 April is 00:30 on 8 April in Berlin (CEST). FLAT 10.00 -> 11.90 incl.; re-rated to FLAT 8.00 -> 9.52 (-2.38).
        var view = CdrProjection.Create(new TransactionPriced("CP-1:7", "CP-1", "ST-1", "TAG-1", "Europe/Berlin", Start, Start.AddHours(1),
            Flat(1, 10m), Start.AddHours(1)));
        var corrected = Flat(2, 8m);
        CdrProjection.Apply(new TransactionRepriced("CP-1:7", "correction", "finance", "T-1", 1, corrected, -2.00m, -0.38m, -2.38m, Start.AddDays(1)), view);

        (view.Id, view.LocalStartDate, view.LocalStartDay).ShouldBe(("transaction:CP-1:7", "2026-04-08", 20260408));
        (view.TariffVersion, view.TotalCostExclVat, view.TotalVat, view.TotalCostInclVat).ShouldBe(((int?)2, 8.00m, 1.52m, 9.52m));
        var adjustment = view.Adjustments.ShouldHaveSingleItem();
        (adjustment.PreviousTariffVersion, adjustment.TariffVersion, adjustment.AdjustmentInclVat, adjustment.RequestedBy).ShouldBe(((int?)1, (int?)2, -2.38m, "finance"));
        (11.90m + adjustment.AdjustmentInclVat).ShouldBe(view.TotalCostInclVat);
    }

    [Fact]
    public void csv_fields_with_commas_quotes_or_line_breaks_are_quoted_per_rfc_4180()
    {
        var csv = GetBillingReportEndpoint.Csv(
        [
            new BillingRow("A,\"B\"", 2, 1.5m, 1.2m, 0.23m, 1.43m, "EUR"),
            new BillingRow("line\nbreak", 1, 0m, 0m, 0m, 0m, null),
        ]);

        csv.ShouldBe("key,sessions,energyKwh,totalCostExclVat,totalVat,totalCostInclVat,currency\r\n" +
                     "\"A,\"\"B\"\"\",2,1.5,1.20,0.23,1.43,EUR\r\n" +
                     "\"line\nbreak\",1,0,0.00,0.00,0.00,\r\n");
    }
}
