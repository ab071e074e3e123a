using ChargeLedger.Projections.Energy;
using ChargeLedger.Projections.Grid;
using ChargeLedger.Telemetry;

namespace ChargeLedger.Tests.Grid;

public sealed class GridApportioningTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private static TelemetryRecorded Reading(DateTimeOffset at, decimal value, string unit = "Wh", string kind = "meter",
        string measurand = GridApportioning.ImportRegister) =>
        new("MTR-1", "ST-1", "GW-1", kind, at, [new TelemetrySample("import", measurand, unit, value, null)]);

    private static GridMeterDayView Fold(params TelemetryRecorded[] readings)
    {
        var view = GridApportioning.Create(readings[0]);
        foreach (var reading in readings.Skip(1))
        {
            GridApportioning.Apply(view, reading);
        }

        return view;
    }

    private static Dictionary<DateTimeOffset, decimal> Slots(GridMeterDayView view) =>
        view.Slots.ToDictionary(s => EnergyPeriods.SlotStart(s.Slot), s => s.Wh);

    [Fact]
    public void import_between_readings_is_spread_linearly_over_the_quarter_hours()
    {
        // 10:05 -> 10:35 imports 3,000 Wh: 10 min in 10:00, 15 in 10:15, 5 in 10:30.
        var view = Fold(Reading(T0.AddMinutes(5), 10_000), Reading(T0.AddMinutes(35), 13_000));

        Slots(view).ShouldBe(new Dictionary<DateTimeOffset, decimal>
        {
            [T0] = 1000m, [T0.AddMinutes(15)] = 1500m, [T0.AddMinutes(30)] = 500m,
        });
        view.Id.ShouldBe("MTR-1:2026-12-01");
        (view.FirstWh, view.LastWh).ShouldBe((10_000m, 13_000m));
    }

    [Fact]
    public void a_register_going_down_is_flagged_as_a_reset_and_starts_a_new_baseline()
    {
        var view = Fold(Reading(T0, 5000), Reading(T0.AddMinutes(10), 20), Reading(T0.AddMinutes(14), 420));

        view.Resets.ShouldBe([new GridMeterReset(T0.AddMinutes(10), 5000m, 20m)]);
        Slots(view).ShouldBe(new Dictionary<DateTimeOffset, decimal> { [T0] = 400m });
        view.Slots.Sum(s => s.Wh).ShouldBeGreaterThanOrEqualTo(0m);
    }

    [Fact]
    public void out_of_order_and_repeated_readings_are_skipped_not_applied()
    {
        var view = Fold(Reading(T0, 1000), Reading(T0.AddMinutes(10), 2000), Reading(T0.AddMinutes(5), 1500), Reading(T0.AddMinutes(10), 2000));

        view.SkippedReadings.ShouldBe(2);
        view.Slots.Sum(s => s.Wh).ShouldBe(1000m);
    }

    [Theory]
    [InlineData("kWh", 1.5, 1500)]
    [InlineData("Wh", 1.5, 1.5)]
    [InlineData("MWh", 0.001, 1000)]
    public void register_units_are_converted_to_wh(string unit, decimal value, decimal expectedWh) =>
        GridApportioning.RegisterWh(Reading(T0, value, unit)).ShouldBe(expectedWh);

    [Theory]
    [InlineData("transformer", GridApportioning.ImportRegister, "Wh")]
    [InlineData("meter", "Voltage", "V")]
    [InlineData("meter", GridApportioning.ImportRegister, "varh")]
    public void only_a_meters_import_register_counts(string kind, string measurand, string unit) =>
        GridApportioning.RegisterWh(Reading(T0, 1, unit, kind, measurand)).ShouldBeNull();

    [Fact]
    public void a_gap_beyond_the_interpolation_limit_is_booked_at_the_later_reading()
    {
        var slots = new List<GridSlot>();
        GridApportioning.Spread(slots, T0, T0.AddDays(8), 800);

        slots.ShouldHaveSingleItem().Slot.ShouldBe(EnergyPeriods.SlotOf(T0.AddDays(8)));
    }
}
