using ChargeLedger.Projections.Energy;
using static ChargeLedger.Tests.Energy.EnergySession;

namespace ChargeLedger.Tests.Energy;

public class EnergyApportioningTests
{
    [Fact]
    public void a_session_without_meter_values_is_spread_evenly_from_start_to_stop_across_the_hour_boundary()
    {
        // 3,000 Wh from 09:50 to 10:20 UTC (30 min, 6,000 W average):
        // slot 09:45 holds 09:50-10:00 = 10 min -> 1,000 Wh; slot 10:00 holds 15 min -> 1,500; slot 10:15 holds 5 min -> 500.
        var view = Run(Started(Utc(2026, 3, 2, 9, 50), 1000), Stopped(Utc(2026, 3, 2, 10, 20), 4000));

        SlotEnergy(view).ShouldBe(new Dictionary<string, long> { ["09:45"] = 1000, ["10:00"] = 1500, ["10:15"] = 500 });
        view.Slots.ShouldAllBe(s => s.AveragePeakW == 6000 && s.SampledPeakW == null);
        view.EnergyWh.ShouldBe(3000);
        view.LastAt.ShouldBe(Utc(2026, 3, 2, 10, 20));

        // Europe/Berlin is UTC+1 on 2 March: local hour 10:00 gets 1,000 Wh and local hour 11:00 gets 1,500 + 500.
        var rows = EnergyReportBuilder.Build([view], new(2026, 3, 2), new(2026, 3, 2), EnergyGrouping.Hour, EnergyLevel.ChargePoint, BerlinStations);
        rows.Select(r => (r.Period, r.EnergyWh, r.Sessions, r.PeakPowerW)).ShouldBe(
        [
            ("2026-03-02T10:00:00+01:00", 1000L, 1, (long?)6000),
            ("2026-03-02T11:00:00+01:00", 2000L, 1, (long?)6000),
        ]);
        rows.ShouldAllBe(r => r.StationId == StationId && r.ChargePointId == "CP-1" && r.ConnectorId == null);
    }

    [Fact]
    public void a_session_crossing_local_midnight_splits_between_the_two_local_days_by_its_samples()
    {
        // Berlin is UTC+1 on 14 January, so local midnight is 23:00 UTC.
        // 22:30-22:45 UTC: 0 -> 1,000 Wh, all on the 14th.
        // 22:45-23:30 UTC: 1,000 -> 7,000 Wh (6,000 Wh over 45 min): 15 min before midnight -> 2,000 on the 14th, 30 min -> 4,000 on the 15th.
        var view = Run(Started(Utc(2026, 1, 14, 22, 30), 0),
            Values(Register(Utc(2026, 1, 14, 22, 45), "1000")),
            Stopped(Utc(2026, 1, 14, 23, 30), 7000));

        var rows = EnergyReportBuilder.Build([view], new(2026, 1, 14), new(2026, 1, 15), EnergyGrouping.Day, EnergyLevel.ChargePoint, BerlinStations);

        rows.Select(r => (r.Period, r.EnergyWh, r.Sessions)).ShouldBe([("2026-01-14", 3000L, 1), ("2026-01-15", 4000L, 1)]);
        rows[0].PeriodStart.ShouldBe(Utc(2026, 1, 13, 23, 0));
        rows[0].PeriodEnd.ShouldBe(Utc(2026, 1, 14, 23, 0));
        // Peak: 1,000 Wh in 15 min = 4,000 W (slot 22:30); 6,000 Wh in 45 min = 8,000 W (slots 22:45 on the 14th, 23:00 and 23:15 on the 15th).
        rows.Select(r => r.PeakPowerW).ShouldBe([8000L, 8000L]);
    }

    [Fact]
    public void the_dst_fall_back_day_in_berlin_has_25_hourly_rows_with_the_repeated_hour_told_apart_by_its_offset()
    {
        // 25 October 2026 in Berlin: 2026-10-24T22:00Z (00:00 CEST) to 2026-10-25T23:00Z (24:00 CET) = 25 hours.
        // A constant 1,000 W all day: 25,000 Wh, 1,000 Wh in every local hour.
        var view = Run(Started(Utc(2026, 10, 24, 22, 0), 0), Stopped(Utc(2026, 10, 25, 23, 0), 25_000));

        var hours = EnergyReportBuilder.Build([view], new(2026, 10, 25), new(2026, 10, 25), EnergyGrouping.Hour, EnergyLevel.ChargePoint, BerlinStations);
        var day = EnergyReportBuilder.Build([view], new(2026, 10, 25), new(2026, 10, 25), EnergyGrouping.Day, EnergyLevel.ChargePoint, BerlinStations);

        hours.Count.ShouldBe(25);
        hours.ShouldAllBe(r => r.EnergyWh == 1000 && r.Sessions == 1 && r.PeakPowerW == 1000);
        hours.Take(5).Select(r => r.Period).ShouldBe(
        [
            "2026-10-25T00:00:00+02:00", "2026-10-25T01:00:00+02:00", "2026-10-25T02:00:00+02:00",
            "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00",
        ]);
        hours[^1].Period.ShouldBe("2026-10-25T23:00:00+01:00");
        hours.Select(r => r.Period).Distinct().Count().ShouldBe(25);
        day.ShouldHaveSingleItem().EnergyWh.ShouldBe(25_000);
    }

    [Fact]
    public void a_register_going_backwards_is_skipped_and_never_gives_negative_energy()
    {
        // Points: 10:00 0 Wh, 10:10 1,000, (10:20 500 skipped), 10:30 1,500, stop 10:40 2,000.
        // 10:00-10:10: 1,000 Wh -> slot 10:00.
        // 10:10-10:30: 500 Wh over 20 min -> slot 10:00 gets 5 min = 125, slot 10:15 gets 15 min = 375.
        // 10:30-10:40: 500 Wh -> slot 10:30.
        var view = Run(Started(Utc(2026, 3, 2, 10, 0), 0),
            Values(Register(Utc(2026, 3, 2, 10, 10), "1000")),
            Values(Register(Utc(2026, 3, 2, 10, 20), "500")),
            Values(Register(Utc(2026, 3, 2, 10, 30), "1500")),
            Stopped(Utc(2026, 3, 2, 10, 40), 2000));

        SlotEnergy(view).ShouldBe(new Dictionary<string, long> { ["10:00"] = 1125, ["10:15"] = 375, ["10:30"] = 500 });
        view.EnergyWh.ShouldBe(2000);
        view.SkippedReadings.ShouldBe(1);
    }

    [Fact]
    public void a_meter_stop_below_meter_start_delivers_nothing()
    {
        var view = Run(Started(Utc(2026, 3, 2, 10, 0), 5000), Stopped(Utc(2026, 3, 2, 11, 0), 100));

        view.EnergyWh.ShouldBe(0);
        view.Slots.ShouldBeEmpty();
        view.LastAt.ShouldBe(Utc(2026, 3, 2, 11, 0));
        var row = EnergyReportBuilder.Build([view], new(2026, 3, 2), new(2026, 3, 2), EnergyGrouping.Day, EnergyLevel.ChargePoint, BerlinStations)
            .ShouldHaveSingleItem();
        (row.EnergyWh, row.Sessions, row.PeakPowerW).ShouldBe((0L, 1, (long?)null));
    }

    [Fact]
    public void kwh_readings_are_converted_to_wh()
    {
        // 1.5 kWh at 10:15 and stop at 2,500 Wh at 10:30: 1,500 Wh in slot 10:00, 1,000 Wh in slot 10:15.
        var view = Run(Started(Utc(2026, 3, 2, 10, 0), 0),
            Values(Register(Utc(2026, 3, 2, 10, 15), "1.5", unit: "kWh")),
            Stopped(Utc(2026, 3, 2, 10, 30), 2500));

        SlotEnergy(view).ShouldBe(new Dictionary<string, long> { ["10:00"] = 1500, ["10:15"] = 1000 });
        // 1,500 Wh in 15 min = 6,000 W; 1,000 Wh in 15 min = 4,000 W.
        view.Slots.Select(s => s.AveragePeakW).ShouldBe([6000L, 4000L]);
    }

    [Fact]
    public void sampled_power_sets_the_peak_of_its_slot_and_the_register_average_fills_slots_without_samples()
    {
        // Register: 0 -> 3,000 Wh from 10:00 to 10:30 = 6,000 W average in both slots.
        // Power samples: 7.2 kW and 6,900 W in slot 10:00; none in slot 10:15.
        var view = Run(Started(Utc(2026, 3, 2, 10, 0), 0),
            Values(Power(Utc(2026, 3, 2, 10, 5), "7.2", unit: "kW"), Power(Utc(2026, 3, 2, 10, 10), "6900", unit: null)),
            Stopped(Utc(2026, 3, 2, 10, 30), 3000));

        view.Slots.Select(s => (s.SampledPeakW, s.AveragePeakW, s.PeakW)).ShouldBe([(7200L, 6000L, 7200L), (null, 6000L, 6000L)]);
        var row = EnergyReportBuilder.Build([view], new(2026, 3, 2), new(2026, 3, 2), EnergyGrouping.Day, EnergyLevel.ChargePoint, BerlinStations)
            .ShouldHaveSingleItem();
        row.PeakPowerW.ShouldBe(7200);
    }

    [Fact]
    public void rounding_to_whole_wh_per_slot_keeps_the_segment_total_exact()
    {
        // 100 Wh from 10:05 to 10:50 (45 min). Cumulative at each slot end, rounded:
        // 10:15 -> 100 x 10/45 = 22.2 -> 22; 10:30 -> 100 x 25/45 = 55.6 -> 56; 10:45 -> 100 x 40/45 = 88.9 -> 89; 10:50 -> 100.
        // Slots: 22, 56 - 22 = 34, 89 - 56 = 33, 100 - 89 = 11.
        var view = Run(Started(Utc(2026, 3, 2, 10, 5), 0), Stopped(Utc(2026, 3, 2, 10, 50), 100));

        SlotEnergy(view).ShouldBe(new Dictionary<string, long> { ["10:00"] = 22, ["10:15"] = 34, ["10:30"] = 33, ["10:45"] = 11 });
    }

    [Fact]
    public void readings_out_of_order_or_outside_the_session_are_skipped()
    {
        // Kept: 10:20 2,000 Wh and the stop 10:40 3,000 Wh. Skipped: 09:50 (before the start), 10:10 (older than 10:20),
        // 10:50 in the stop's TransactionData (after the stop), and a late 10:30 reading that arrives after the stop.
        var view = Run(Started(Utc(2026, 3, 2, 10, 0), 0),
            Values(Register(Utc(2026, 3, 2, 9, 50), "10")),
            Values(Register(Utc(2026, 3, 2, 10, 20), "2000")),
            Values(Register(Utc(2026, 3, 2, 10, 10), "1000")),
            Stopped(Utc(2026, 3, 2, 10, 40), 3000, Register(Utc(2026, 3, 2, 10, 50), "9000")),
            Values(Register(Utc(2026, 3, 2, 10, 30), "2500")));

        // 10:00-10:20: 2,000 Wh -> slot 10:00 1,500, slot 10:15 500; 10:20-10:40: 1,000 Wh -> slot 10:15 500, slot 10:30 500.
        SlotEnergy(view).ShouldBe(new Dictionary<string, long> { ["10:00"] = 1500, ["10:15"] = 1000, ["10:30"] = 500 });
        view.SkippedReadings.ShouldBe(4);
        view.LastAt.ShouldBe(Utc(2026, 3, 2, 10, 40));
    }

    [Fact]
    public void out_of_order_samples_within_one_message_are_sorted()
    {
        var view = Run(Started(Utc(2026, 3, 2, 10, 0), 0),
            Values(Register(Utc(2026, 3, 2, 10, 30), "2000"), Register(Utc(2026, 3, 2, 10, 15), "1800")));

        SlotEnergy(view).ShouldBe(new Dictionary<string, long> { ["10:00"] = 1800, ["10:15"] = 200 });
        view.SkippedReadings.ShouldBe(0);
    }

    [Fact]
    public void phase_inlet_signed_and_other_measurand_values_are_ignored()
    {
        var at = Utc(2026, 3, 2, 10, 15);
        var view = Run(Started(Utc(2026, 3, 2, 10, 0), 0),
            Values(
                Register(at, "900", phase: "L1"),
                Register(at, "950", location: "Inlet"),
                Register(at, "1", measurand: "Current.Import", unit: "A"),
                Register(at, "2.5", unit: "varh"),
                Register(at, "not a number"),
                new ChargeLedger.Transactions.MeterSample(at, "OCMF|{}", null, null, null, null, "SignedData", null),
                Register(at, "1000", location: "Outlet")));

        SlotEnergy(view).ShouldBe(new Dictionary<string, long> { ["10:00"] = 1000 });
        view.SkippedReadings.ShouldBe(0);
    }

    [Fact]
    public void the_measurand_defaults_to_the_energy_register()
    {
        var view = Run(Started(Utc(2026, 3, 2, 10, 0), 0), Values(Register(Utc(2026, 3, 2, 10, 10), "400", unit: null, measurand: null)));

        view.EnergyWh.ShouldBe(400);
    }

    [Fact]
    public void an_active_session_contributes_up_to_its_latest_sample()
    {
        var view = Run(Started(Utc(2026, 3, 2, 10, 0), 0), Values(Register(Utc(2026, 3, 2, 10, 20), "2000")));

        view.StoppedAt.ShouldBeNull();
        view.LastAt.ShouldBe(Utc(2026, 3, 2, 10, 20));
        SlotEnergy(view).ShouldBe(new Dictionary<string, long> { ["10:00"] = 1500, ["10:15"] = 500 });
    }

    [Fact]
    public void a_gap_longer_than_a_week_is_booked_to_the_slot_of_the_later_reading()
    {
        var view = Run(Started(Utc(2026, 3, 1, 10, 0), 0), Stopped(Utc(2026, 3, 9, 10, 7), 5000));

        var slot = view.Slots.ShouldHaveSingleItem();
        EnergyPeriods.SlotStart(slot.Slot).ShouldBe(Utc(2026, 3, 9, 10, 0));
        slot.EnergyWh.ShouldBe(5000);
    }

    [Fact]
    public void absurd_register_values_are_ignored_and_a_jump_within_a_tick_saturates_the_average_power()
    {
        var start = Utc(2026, 3, 2, 10, 0);
        var view = Run(Started(start, 0),
            Values(Register(start.AddMinutes(1), "1e16"), Register(start.AddMinutes(1), "0")),
            Values(Register(start.AddTicks(TimeSpan.TicksPerMinute + 1), "100000000000000")));

        view.EnergyWh.ShouldBe(100_000_000_000_000);
        view.Slots.Max(s => s.AveragePeakW).ShouldBe(long.MaxValue);
        view.Slots.ShouldAllBe(s => s.EnergyWh >= 0);
    }
}
