using ChargeLedger.Projections.Energy;
using CsCheck;
using NodaTime;
using static ChargeLedger.Tests.Energy.EnergySession;

namespace ChargeLedger.Tests.Energy;

public class EnergyPropertyTests
{
    private static readonly DateTimeOffset Origin = Utc(2026, 10, 24, 20, 0);

    /// <summary>Gaps in seconds (0 allowed: two readings at one instant) and register increments in Wh; the last step is the stop.</summary>
    private static readonly Gen<(long MeterStart, (int GapSeconds, int IncrementWh)[] Steps)> ConsistentSessions =
        Gen.Select(Gen.Long[0, 10_000_000], Gen.Select(Gen.Int[0, 4 * 3600], Gen.Int[0, 50_000]).Array[1, 40]);

    [Fact]
    public void with_consistent_monotone_samples_the_periods_add_up_to_meter_stop_minus_meter_start()
    {
        ConsistentSessions.Sample((meterStart, steps) =>
        {
            var at = Origin;
            var wh = meterStart;
            var values = new List<object>();
            foreach (var (gap, increment) in steps[..^1])
            {
                at = at.AddSeconds(gap);
                wh += increment;
                values.Add(Values(Register(at, wh.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            }

            var stopAt = at.AddSeconds(steps[^1].GapSeconds);
            var meterStop = wh + steps[^1].IncrementWh;
            values.Add(Stopped(stopAt, meterStop));

            var view = Run(Started(Origin, meterStart), [.. values]);

            view.EnergyWh.ShouldBe(meterStop - meterStart);
            view.Slots.Sum(s => s.EnergyWh).ShouldBe(meterStop - meterStart);
            view.Slots.ShouldAllBe(s => s.EnergyWh >= 0);
            view.SkippedReadings.ShouldBe(0);
            foreach (var grouping in new[] { EnergyGrouping.Hour, EnergyGrouping.Day })
            {
                var rows = EnergyReportBuilder.Build([view], LocalDate.FromDateTime(Origin.UtcDateTime), LocalDate.FromDateTime(stopAt.UtcDateTime).PlusDays(1),
                    grouping, EnergyLevel.Connector, BerlinStations);
                rows.Sum(r => r.EnergyWh).ShouldBe(meterStop - meterStart);
                rows.ShouldAllBe(r => r.Sessions == 1);
            }
        }, iter: 300);
    }

    [Fact]
    public void with_arbitrary_readings_energy_is_never_negative_and_slots_add_up_to_the_session()
    {
        // Offsets from the start in seconds (negative: before it) and register values that may go down, in any order.
        var readings = Gen.Select(Gen.Int[-3600, 6 * 3600], Gen.Long[0, 200_000]).Array[0, 30];
        Gen.Select(Gen.Long[0, 100_000], readings, Gen.Int[0, 6 * 3600], Gen.Long[0, 200_000]).Sample((meterStart, samples, stopOffset, meterStop) =>
        {
            var events = samples.Select(s => (object)Values(Register(Origin.AddSeconds(s.Item1), s.Item2.ToString(System.Globalization.CultureInfo.InvariantCulture))))
                .Append(Stopped(Origin.AddSeconds(stopOffset), meterStop));

            var view = Run(Started(Origin, meterStart), [.. events]);

            view.Slots.ShouldAllBe(s => s.EnergyWh >= 0 && (s.AveragePeakW ?? 0) >= 0);
            view.Slots.Sum(s => s.EnergyWh).ShouldBe(view.EnergyWh);
            view.EnergyWh.ShouldBe(Math.Max(0, view.PointWh - meterStart));
            view.EnergyWh.ShouldBeLessThanOrEqualTo(Math.Max(0, samples.Select(s => s.Item2).Append(meterStop).Max() - meterStart));
            view.Slots.Select(s => s.Slot).ShouldBeInOrder(SortDirection.Ascending);
            view.Slots.Select(s => s.Slot).Distinct().Count().ShouldBe(view.Slots.Count);
        }, iter: 500);
    }
}
