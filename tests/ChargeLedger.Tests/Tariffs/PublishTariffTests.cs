using ChargeLedger.Tariffs;

namespace ChargeLedger.Tests.Tariffs;

public class PublishTariffTests
{
    private static readonly PublishTariff.Validator Validator = new();

    private static PublishTariff Valid() => new("T-1", "EUR", null,
    [
        new([new("ENERGY", 0.30m, 19m, 1)], new TariffRestrictions(StartTime: "08:00", EndTime: "20:00")),
        new([new("FLAT", 0.50m, 19m, null), new("TIME", 1.20m, 19m, 60), new("PARKING_TIME", 6.00m, null, null)], null),
    ]);

    private static IEnumerable<string> Invalid(PublishTariff command) =>
        Validator.Validate(command).Errors.Select(e => e.PropertyName).Distinct();

    [Fact]
    public void the_contract_example_is_valid_and_maps_defaults_onto_the_stored_definition()
    {
        var command = Valid();

        Validator.Validate(command).IsValid.ShouldBeTrue();
        var elements = command.ToElements();
        elements[1].PriceComponents.ShouldBe(
        [
            new PriceComponent("FLAT", 0.50m, 19m, null), new PriceComponent("TIME", 1.20m, 19m, 60),
            new PriceComponent("PARKING_TIME", 6.00m, 0m, 1),
        ]);
        elements[0].Restrictions!.StartTime.ShouldBe("08:00");
    }

    [Fact]
    public void each_invalid_field_is_named_with_its_path()
    {
        var command = new PublishTariff("bad/id", "eur", null,
        [
            new([new("ENERGY", -0.01m, 101m, 0), new("FLAT", 0.123456m, 19m, 60), new("KWH", null, null, null)],
                new TariffRestrictions("8:00", "24:00", ["MONDAY", "FUNDAY"], MinKwh: 10m, MaxKwh: 5m, MinDurationSeconds: -1)),
            new([], null),
        ]);

        Invalid(command).ShouldBe(
        [
            "Id", "Currency",
            "Elements[0].PriceComponents[0].Price", "Elements[0].PriceComponents[0].VatPercent", "Elements[0].PriceComponents[0].StepSize",
            "Elements[0].PriceComponents[1].Price", "Elements[0].PriceComponents[1].StepSize",
            "Elements[0].PriceComponents[2].Type", "Elements[0].PriceComponents[2].Price",
            "Elements[0].Restrictions.StartTime", "Elements[0].Restrictions.EndTime", "Elements[0].Restrictions.DaysOfWeek[1]",
            "Elements[0].Restrictions.MaxKwh", "Elements[0].Restrictions.MinDurationSeconds",
            "Elements[1].PriceComponents",
        ], ignoreOrder: true);
    }

    [Fact]
    public void a_tariff_needs_at_least_one_element_and_each_type_once_per_element()
    {
        Invalid(Valid() with { Elements = [] }).ShouldBe(["Elements"]);
        Invalid(Valid() with { Elements = null }).ShouldBe(["Elements"]);
        Invalid(Valid() with { Elements = [new([new("TIME", 1m, 0m, 1), new("TIME", 2m, 0m, 1)], null)] }).ShouldBe(["Elements[0].PriceComponents"]);
    }

    [Theory]
    [InlineData("00:00", true)]
    [InlineData("23:59", true)]
    [InlineData("24:00", false)]
    [InlineData("7:30", false)]
    [InlineData("07:60", false)]
    [InlineData("07:30:00", false)]
    public void times_of_day_are_hh_mm(string value, bool valid) => PublishTariff.IsTimeOfDay(value).ShouldBe(valid);

    [Fact]
    public void equal_start_and_end_times_are_refused_as_ambiguous()
    {
        var command = Valid() with { Elements = [new([new("TIME", 1m, 0m, 1)], new TariffRestrictions("08:00", "08:00"))] };

        Invalid(command).ShouldBe(["Elements[0].Restrictions.EndTime"]);
    }

    [Theory]
    [InlineData("EUR", true)]
    [InlineData("CHF", true)]
    [InlineData("JPY", true)]
    [InlineData("eur", false)]
    [InlineData("EURO", false)]
    [InlineData("XXX", false)]
    [InlineData("ABC", false)]
    public void currencies_are_iso_4217_codes(string code, bool valid) => Iso4217.IsKnown(code).ShouldBe(valid);
}
