using System.Globalization;
using ChargeLedger.Stations;
using ChargeLedger.Tariffs;
using ChargeLedger.Transactions;
using NodaTime;

namespace ChargeLedger.Tests.Tariffs;

/// <summary>
/// Golden cases, each worked out by hand in its comment (CONTRACT.md Tariffs). Station zone Europe/Berlin unless said:
/// CET = UTC+1 in winter, CEST = UTC+2 in summer; in 2026 summer time starts 29 March 01:00Z and ends 25 October 01:00Z.
/// </summary>
public class TariffPricingTests
{
    private static readonly DateTimeZone Berlin = StationClock.Zone("Europe/Berlin");

    /// <summary>
    /// The CONTRACT.md example tariff: ENERGY 0.30 08:00-20:00, else 0.20; FLAT 0.50, TIME 1.20/h (step 60 s),
    /// PARKING_TIME 6.00/h (step 60 s); VAT 19 % everywhere.
    /// </summary>
    private static readonly Tariff ContractExample = Tariff(
        Element(Restrict(startTime: "08:00", endTime: "20:00"), Energy(0.30m, 19)),
        Element(null, Energy(0.20m, 19)),
        Element(null, Flat(0.50m, 19), Time(1.20m, 19, 60), Parking(6.00m, 19, 60)));

    [Fact]
    public void a_session_crossing_a_time_of_day_boundary_is_split_at_it_with_energy_interpolated_between_samples()
    {
        // 15 Jan 2026, 18:30Z-19:30Z = 19:30-20:30 local; the 20:00 local edge is 19:00Z.
        // Register: 0 at the start, 5,000 Wh at 18:45Z, 15,000 Wh at 19:15Z, 22,000 Wh at the stop.
        // At 19:00Z (halfway between the samples): 5,000 + 10,000 × 15/30 = 10,000 Wh.
        //   ENERGY until 20:00 local: 10.000 kWh × 0.30 = 3.00
        //   ENERGY after:             12.000 kWh × 0.20 = 2.40
        //   FLAT                                         0.50
        //   TIME 1 h (3,600 s, a multiple of 60) × 1.20 = 1.20
        //   excl. VAT 7.10; VAT 19 % = 1.349 -> 1.35; incl. 8.45
        var usage = Session("2026-01-15T18:30:00Z", "2026-01-15T19:30:00Z", 0, 22_000,
            readings: [("2026-01-15T18:45:00Z", 5_000), ("2026-01-15T19:15:00Z", 15_000)]);

        var result = TariffPricing.Price(ContractExample, Berlin, usage);

        result.ChargingPeriods.Select(p => (p.StartDateTime, p.EnergyWh, p.EnergyElement, p.TimeElement, p.FlatElement)).ShouldBe(
        [
            (Utc("2026-01-15T18:30:00Z"), 10_000m, 0, 2, 2),
            (Utc("2026-01-15T19:00:00Z"), 12_000m, 1, 2, 2),
        ]);
        result.Lines.Select(l => (l.Type, l.ElementIndex, l.Quantity, l.StepRounding)).ShouldBe(
        [
            ("ENERGY", 0, 10_000m, 0m), ("ENERGY", 1, 12_000m, 0m), ("TIME", 2, 3_600m, 0m), ("FLAT", 2, 1m, 0m),
        ]);
        Totals(result).ShouldBe((7.10m, 1.35m, 8.45m));
        (result.TariffId, result.TariffVersion, result.Currency).ShouldBe(("T-1", 1, "EUR"));
        (result.EnergyWh, result.SessionSeconds, result.ChargingSeconds, result.ParkingSeconds).ShouldBe((22_000L, 3_600m, 3_600m, 0m));
    }

    [Fact]
    public void parking_time_is_the_part_of_the_session_the_connector_is_not_charging()
    {
        // 4 May 2026, 10:00Z-12:00Z. Status reports: Preparing 09:58Z (before the start: ignored), Charging 10:00:05Z,
        // SuspendedEV 11:30Z, Finishing 11:50Z.
        //   charging 10:00-11:30 = 1.5 h × 2.00 = 3.00
        //   parking  11:30-12:00 = 0.5 h × 6.00 = 3.00
        //   excl. 6.00; VAT 19 % = 1.14; incl. 7.14
        var tariff = Tariff(Element(null, Time(2.00m, 19, 60), Parking(6.00m, 19, 60)));
        var usage = Session("2026-05-04T10:00:00Z", "2026-05-04T12:00:00Z", 0, 30_000, statuses:
        [
            ("2026-05-04T09:58:00Z", false), ("2026-05-04T10:00:05Z", true), ("2026-05-04T11:30:00Z", false), ("2026-05-04T11:50:00Z", false),
        ]);

        var result = TariffPricing.Price(tariff, Berlin, usage);

        result.ChargingPeriods.Select(p => (p.StartDateTime, p.EndDateTime, p.Charging, p.TimeElement, p.ParkingTimeElement)).ShouldBe(
        [
            (Utc("2026-05-04T10:00:00Z"), Utc("2026-05-04T11:30:00Z"), true, (int?)0, (int?)null),
            (Utc("2026-05-04T11:30:00Z"), Utc("2026-05-04T12:00:00Z"), false, null, 0),
        ]);
        (result.ChargingSeconds, result.ParkingSeconds).ShouldBe((5_400m, 1_800m));
        Totals(result).ShouldBe((6.00m, 1.14m, 7.14m));
    }

    [Fact]
    public void without_status_reports_during_the_session_all_of_it_is_charging_time()
    {
        // 2 h with no report between start and stop (the one before the start is ignored): 2 h × 2.00 = 4.00, no parking.
        var tariff = Tariff(Element(null, Time(2.00m, 0, 60), Parking(6.00m, 0, 60)));
        var usage = Session("2026-05-04T10:00:00Z", "2026-05-04T12:00:00Z", 0, 0, statuses: [("2026-05-04T09:00:00Z", false)]);

        var result = TariffPricing.Price(tariff, Berlin, usage);

        (result.ChargingSeconds, result.ParkingSeconds).ShouldBe((7_200m, 0m));
        Totals(result).ShouldBe((4.00m, 0m, 4.00m));
    }

    [Fact]
    public void step_sizes_round_each_types_session_total_up_once()
    {
        // 61 min 10 s = 3,670 s of charging, TIME 1.20/h, step 900 s -> billed 4,500 s = 1.25 h -> 1.50
        // 12,345 Wh, ENERGY 0.25/kWh, step 1,000 Wh -> billed 13,000 Wh = 13 kWh -> 3.25
        // excl. 4.75, no VAT
        var tariff = Tariff(Element(null, Energy(0.25m, 0, 1_000), Time(1.20m, 0, 900)));
        var usage = Session("2026-02-10T08:00:00Z", "2026-02-10T09:01:10Z", 100_000, 112_345);

        var result = TariffPricing.Price(tariff, Berlin, usage);

        result.Lines.Select(l => (l.Type, l.Quantity, l.StepRounding)).ShouldBe([("ENERGY", 12_345m, 655m), ("TIME", 3_670m, 830m)]);
        Totals(result).ShouldBe((4.75m, 0m, 4.75m));
    }

    [Fact]
    public void the_step_rounding_extra_is_billed_at_the_component_that_applied_last()
    {
        // 1 Jul 2026 11:30-12:30 local (CEST) = 09:30Z-10:30Z; 6,200 Wh straight line (no samples) -> 3,100 Wh by 12:00.
        // Element 0: ENERGY 0.30 step 1,000 Wh, 08:00-12:00; element 1: ENERGY 0.40 step 500 Wh.
        // Total 6,200 Wh; the last ENERGY component applied is element 1 (step 500) -> 6,500 Wh: +300 Wh at 0.40.
        //   3.1 kWh × 0.30 = 0.93; (3.1 + 0.3) kWh × 0.40 = 1.36; excl. 2.29
        var tariff = Tariff(
            Element(Restrict(startTime: "08:00", endTime: "12:00"), Energy(0.30m, 0, 1_000)),
            Element(null, Energy(0.40m, 0, 500)));
        var usage = Session("2026-07-01T09:30:00Z", "2026-07-01T10:30:00Z", 0, 6_200);

        var result = TariffPricing.Price(tariff, Berlin, usage);

        result.Lines.Select(l => (l.ElementIndex, l.Quantity, l.StepRounding)).ShouldBe([(0, 3_100m, 0m), (1, 3_100m, 300m)]);
        Totals(result).ShouldBe((2.29m, 0m, 2.29m));
    }

    [Fact]
    public void a_time_window_may_wrap_midnight()
    {
        // ENERGY 0.15 from 22:00 to 06:00 (wrapping), else 0.35. 15 Jan 2026 23:00 local to 16 Jan 07:00 local
        // = 22:00Z-06:00Z, 8,000 Wh on a straight line = 1,000 Wh per hour.
        //   23:00-06:00 (7 h, across midnight) 7 kWh × 0.15 = 1.05
        //   06:00-07:00                         1 kWh × 0.35 = 0.35
        //   excl. 1.40. The midnight cut does not show: the periods either side of it are merged.
        var tariff = Tariff(
            Element(Restrict(startTime: "22:00", endTime: "06:00"), Energy(0.15m, 0)),
            Element(null, Energy(0.35m, 0)));
        var usage = Session("2026-01-15T22:00:00Z", "2026-01-16T06:00:00Z", 0, 8_000);

        var result = TariffPricing.Price(tariff, Berlin, usage);

        result.ChargingPeriods.Select(p => (p.StartDateTime, p.EnergyWh, p.EnergyElement)).ShouldBe(
            [(Utc("2026-01-15T22:00:00Z"), 7_000m, (int?)0), (Utc("2026-01-16T05:00:00Z"), 1_000m, 1)]);
        Totals(result).ShouldBe((1.40m, 0m, 1.40m));
    }

    [Fact]
    public void on_the_spring_dst_day_a_night_window_holds_only_the_real_hours_of_the_night()
    {
        // Sunday 29 Mar 2026: at 01:00Z local time jumps from 02:00 CET to 03:00 CEST.
        // TIME 2.00/h from 00:00 to 04:00 local, else 4.00/h. Session 28 Mar 23:00Z (00:00 CET) to 29 Mar 03:00Z (05:00 CEST).
        //   00:00-04:00 local is 23:00Z-02:00Z: 3 real hours (not 4) × 2.00 = 6.00
        //   04:00-05:00 local is 02:00Z-03:00Z: 1 h × 4.00                   = 4.00
        //   excl. 10.00
        var tariff = Tariff(
            Element(Restrict(startTime: "00:00", endTime: "04:00"), Time(2.00m, 0, 1)),
            Element(null, Time(4.00m, 0, 1)));
        var usage = Session("2026-03-28T23:00:00Z", "2026-03-29T03:00:00Z", 0, 0);

        var result = TariffPricing.Price(tariff, Berlin, usage);

        result.ChargingPeriods.Select(p => (p.StartDateTime, p.DurationSeconds, p.TimeElement)).ShouldBe(
            [(Utc("2026-03-28T23:00:00Z"), 10_800m, (int?)0), (Utc("2026-03-29T02:00:00Z"), 3_600m, 1)]);
        Totals(result).ShouldBe((10.00m, 0m, 10.00m));
    }

    [Fact]
    public void a_window_starting_in_the_skipped_spring_hour_starts_at_the_change()
    {
        // 29 Mar 2026: 02:30 local does not exist; local time goes 01:59 CET -> 03:00 CEST at 01:00Z.
        // TIME 10.00/h from 02:30 to 03:30, else 1.00/h. Session 00:00Z (01:00 CET) to 02:00Z (04:00 CEST).
        //   in the window from the change (01:00Z = 03:00 CEST) to 03:30 CEST (01:30Z): 0.5 h × 10.00 = 5.00
        //   the other 1.5 h × 1.00                                                         = 1.50
        //   excl. 6.50
        var tariff = Tariff(
            Element(Restrict(startTime: "02:30", endTime: "03:30"), Time(10.00m, 0, 1)),
            Element(null, Time(1.00m, 0, 1)));
        var usage = Session("2026-03-29T00:00:00Z", "2026-03-29T02:00:00Z", 0, 0);

        var result = TariffPricing.Price(tariff, Berlin, usage);

        result.ChargingPeriods.Select(p => (p.StartDateTime, p.TimeElement)).ShouldBe(
        [
            (Utc("2026-03-29T00:00:00Z"), (int?)1), (Utc("2026-03-29T01:00:00Z"), 0), (Utc("2026-03-29T01:30:00Z"), 1),
        ]);
        Totals(result).ShouldBe((6.50m, 0m, 6.50m));
    }

    [Fact]
    public void on_the_autumn_dst_day_a_window_over_the_repeated_hour_holds_it_twice()
    {
        // Sunday 25 Oct 2026: at 01:00Z local time goes back from 03:00 CEST to 02:00 CET, so 02:00-03:00 happens twice.
        // TIME 10.00/h from 02:00 to 03:00, else 1.00/h. Session 24 Oct 23:00Z (01:00 CEST) to 25 Oct 03:00Z (04:00 CET).
        //   23:00Z-00:00Z (01:00-02:00 CEST)                        1 h × 1.00  = 1.00
        //   00:00Z-02:00Z (02:00-03:00 CEST, then 02:00-03:00 CET)  2 h × 10.00 = 20.00
        //   02:00Z-03:00Z (03:00-04:00 CET)                         1 h × 1.00  = 1.00
        //   excl. 22.00
        var tariff = Tariff(
            Element(Restrict(startTime: "02:00", endTime: "03:00"), Time(10.00m, 0, 1)),
            Element(null, Time(1.00m, 0, 1)));
        var usage = Session("2026-10-24T23:00:00Z", "2026-10-25T03:00:00Z", 0, 0);

        var result = TariffPricing.Price(tariff, Berlin, usage);

        result.ChargingPeriods.Select(p => (p.StartDateTime, p.DurationSeconds, p.TimeElement)).ShouldBe(
        [
            (Utc("2026-10-24T23:00:00Z"), 3_600m, (int?)1), (Utc("2026-10-25T00:00:00Z"), 7_200m, 0), (Utc("2026-10-25T02:00:00Z"), 3_600m, 1),
        ]);
        Totals(result).ShouldBe((22.00m, 0m, 22.00m));
    }

    [Fact]
    public void a_flat_fee_is_billed_once_and_vat_rounds_half_away_from_zero()
    {
        // FLAT 3.00 with VAT 15.5 %: VAT = 0.465 -> 0.47 (banker's rounding would give 0.46); incl. 3.47.
        // A 5-hour session crossing midnight with a time restriction elsewhere in the tariff still pays it once.
        var tariff = Tariff(
            Element(Restrict(startTime: "22:00", endTime: "23:00"), Energy(0m, 0)),
            Element(null, Flat(3.00m, 15.5m)));
        var usage = Session("2026-01-15T21:00:00Z", "2026-01-16T02:00:00Z", 0, 10_000);

        var result = TariffPricing.Price(tariff, Berlin, usage);

        result.Lines.Where(l => l.Type == "FLAT").ShouldHaveSingleItem().Quantity.ShouldBe(1m);
        Totals(result).ShouldBe((3.00m, 0.47m, 3.47m));
    }

    [Fact]
    public void a_flat_fee_follows_the_day_of_week_of_the_station()
    {
        // FLAT 1.00 on SATURDAY and SUNDAY, else FLAT 2.00. Saturday 17 Jan 2026 00:30 local is Friday 23:30Z:
        // the station's day (Saturday) counts, not UTC's (Friday) -> 1.00. Monday 19 Jan 2026 -> 2.00.
        var tariff = Tariff(
            Element(Restrict(daysOfWeek: ["SATURDAY", "SUNDAY"]), Flat(1.00m, 0)),
            Element(null, Flat(2.00m, 0)));

        var saturday = TariffPricing.Price(tariff, Berlin, Session("2026-01-16T23:30:00Z", "2026-01-17T00:30:00Z", 0, 1_000));
        var monday = TariffPricing.Price(tariff, Berlin, Session("2026-01-19T10:00:00Z", "2026-01-19T11:00:00Z", 0, 1_000));

        Totals(saturday).ShouldBe((1.00m, 0m, 1.00m));
        Totals(monday).ShouldBe((2.00m, 0m, 2.00m));
    }

    [Fact]
    public void vat_is_summed_exactly_across_components_with_different_rates_and_rounded_once()
    {
        // ENERGY 0.25/kWh VAT 19 %: 4 kWh -> 1.00, VAT 0.19
        // FLAT 0.05 VAT 7 %:              0.05, VAT 0.0035
        // TIME 0.05/h VAT 7 %: 1 h ->     0.05, VAT 0.0035
        // excl. 1.10; VAT 0.197 -> 0.20 (rounding each component's VAT first would give 0.19 + 0.00 + 0.00 = 0.19); incl. 1.30
        var tariff = Tariff(Element(null, Energy(0.25m, 19), Flat(0.05m, 7), Time(0.05m, 7, 1)));
        var usage = Session("2026-02-10T08:00:00Z", "2026-02-10T09:00:00Z", 0, 4_000);

        Totals(TariffPricing.Price(tariff, Berlin, usage)).ShouldBe((1.10m, 0.20m, 1.30m));
    }

    [Fact]
    public void costs_are_not_rounded_per_component()
    {
        // ENERGY 0.10/kWh on 50 Wh = 0.005 and FLAT 0.005: 0.010 -> 0.01 (rounding each first would give 0.02).
        var tariff = Tariff(Element(null, Energy(0.10m, 0), Flat(0.005m, 0)));

        Totals(TariffPricing.Price(tariff, Berlin, Session("2026-02-10T08:00:00Z", "2026-02-10T08:10:00Z", 0, 50))).ShouldBe((0.01m, 0m, 0.01m));
    }

    [Fact]
    public void max_kwh_and_min_duration_restrictions_switch_elements_at_the_instant_the_bound_is_reached()
    {
        // Element 0: TIME 1.00/h once the session is 3,600 s old (minDurationSeconds, inclusive)
        // Element 1: ENERGY 0.50 for the first 10 kWh (maxKwh, exclusive)
        // Element 2: ENERGY 0.30
        // 1 Jun 2026 08:00Z-10:00Z; register 0, 8,000 Wh at 08:30Z, 12,000 Wh at 09:00Z, 20,000 Wh at the stop.
        // 10,000 Wh is reached between 08:30 and 09:00: 2,000/4,000 of 30 min = 15 min -> 08:45Z.
        //   08:00-08:45 ENERGY 10 kWh × 0.50 = 5.00
        //   08:45-10:00 ENERGY 10 kWh × 0.30 = 3.00
        //   09:00-10:00 TIME   1 h   × 1.00  = 1.00
        //   excl. 9.00
        var tariff = Tariff(
            Element(Restrict(minDurationSeconds: 3_600), Time(1.00m, 0, 1)),
            Element(Restrict(maxKwh: 10m), Energy(0.50m, 0)),
            Element(null, Energy(0.30m, 0)));
        var usage = Session("2026-06-01T08:00:00Z", "2026-06-01T10:00:00Z", 0, 20_000,
            readings: [("2026-06-01T08:30:00Z", 8_000), ("2026-06-01T09:00:00Z", 12_000)]);

        var result = TariffPricing.Price(tariff, Berlin, usage);

        result.ChargingPeriods.Select(p => (p.StartDateTime, p.EnergyWh, p.EnergyElement, p.TimeElement)).ShouldBe(
        [
            (Utc("2026-06-01T08:00:00Z"), 10_000m, (int?)1, (int?)null),
            (Utc("2026-06-01T08:45:00Z"), 2_000m, 2, null),
            (Utc("2026-06-01T09:00:00Z"), 8_000m, 2, 0),
        ]);
        Totals(result).ShouldBe((9.00m, 0m, 9.00m));
    }

    [Fact]
    public void min_kwh_and_max_duration_restrictions_apply_from_and_until_their_bounds()
    {
        // Element 0: ENERGY 0.20 from 5 kWh consumed on (minKwh, inclusive); element 1: ENERGY 0.40.
        // Element 2: PARKING_TIME 0.00 while the session is younger than 7,200 s (maxDurationSeconds, exclusive);
        // element 3: PARKING_TIME 12.00/h.
        // 1 Jun 2026 12:00Z-15:00Z; 9,000 Wh by 13:30Z on a straight line (100 Wh/min), then SuspendedEV at 13:30Z.
        //   5,000 Wh is reached at 12:50Z: first 5 kWh × 0.40 = 2.00, the next 4 kWh × 0.20 = 0.80
        //   parking 13:30-14:00 (under 2 h old) free; 14:00-15:00 1 h × 12.00 = 12.00
        //   excl. 14.80
        var tariff = Tariff(
            Element(Restrict(minKwh: 5m), Energy(0.20m, 0)),
            Element(null, Energy(0.40m, 0)),
            Element(Restrict(maxDurationSeconds: 7_200), Parking(0m, 0, 60)),
            Element(null, Parking(12.00m, 0, 60)));
        var usage = Session("2026-06-01T12:00:00Z", "2026-06-01T15:00:00Z", 0, 9_000,
            readings: [("2026-06-01T13:30:00Z", 9_000)], statuses: [("2026-06-01T13:30:00Z", false)]);

        var result = TariffPricing.Price(tariff, Berlin, usage);

        result.ChargingPeriods.Select(p => (p.StartDateTime, p.EnergyWh, p.EnergyElement, p.ParkingTimeElement)).ShouldBe(
        [
            (Utc("2026-06-01T12:00:00Z"), 5_000m, (int?)1, (int?)null),
            (Utc("2026-06-01T12:50:00Z"), 4_000m, 0, null),
            (Utc("2026-06-01T13:30:00Z"), 0m, 0, 2),
            (Utc("2026-06-01T14:00:00Z"), 0m, 0, 3),
        ]);
        Totals(result).ShouldBe((14.80m, 0m, 14.80m));
    }

    [Fact]
    public void a_register_going_backwards_is_never_billed_as_negative_energy()
    {
        // Register 0 at 10:00Z, 6,000 Wh at 10:30Z, 2,000 Wh at 10:40Z (backwards: held at 6,000), 8,000 Wh at the 11:00Z stop.
        // ENERGY 1.00 from 11:40 to 12:00 local (10:40Z-11:00Z), else 0.10.
        //   10:00-10:40Z: 6,000 Wh × 0.10 = 0.60 (10:30-10:40 adds 0 Wh, not -4,000)
        //   10:40-11:00Z: 2,000 Wh × 1.00 = 2.00
        //   excl. 2.60; the energy adds up to meterStop − meterStart = 8,000 Wh
        var tariff = Tariff(
            Element(Restrict(startTime: "11:40", endTime: "12:00"), Energy(1.00m, 0)),
            Element(null, Energy(0.10m, 0)));
        var usage = Session("2026-01-20T10:00:00Z", "2026-01-20T11:00:00Z", 0, 8_000,
            readings: [("2026-01-20T10:30:00Z", 6_000), ("2026-01-20T10:40:00Z", 2_000)]);

        var result = TariffPricing.Price(tariff, Berlin, usage);

        result.ChargingPeriods.Select(p => p.EnergyWh).ShouldBe([6_000m, 2_000m]);
        result.EnergyWh.ShouldBe(8_000);
        Totals(result).ShouldBe((2.60m, 0m, 2.60m));
    }

    [Fact]
    public void a_session_without_a_tariff_is_priced_at_zero_with_its_quantities_and_the_reason()
    {
        // 90 min, 7,500 Wh, SuspendedEV for the last 30 min: nothing to price with, but the CDR still shows what was used.
        var usage = Session("2026-02-10T08:00:00Z", "2026-02-10T09:30:00Z", 1_000, 8_500, statuses: [("2026-02-10T09:00:00Z", false)]);

        var result = TariffPricing.Unpriced("No tariff is assigned to station ST-1.", Berlin, usage);

        (result.TariffId, result.TariffVersion, result.Currency, result.UnpricedReason).ShouldBe(
            ((string?)null, (int?)null, (string?)null, "No tariff is assigned to station ST-1."));
        result.Lines.ShouldBeEmpty();
        (result.EnergyWh, result.SessionSeconds, result.ChargingSeconds, result.ParkingSeconds).ShouldBe((7_500L, 5_400m, 3_600m, 1_800m));
        result.ChargingPeriods.Count.ShouldBe(2);
        Totals(result).ShouldBe((0m, 0m, 0m));
    }

    [Fact]
    public void a_zero_length_session_bills_its_energy_and_flat_fee_but_no_time()
    {
        // Start and stop at the same instant with 500 Wh: 0.5 kWh × 0.30 = 0.15, FLAT 1.00, TIME 0 -> excl. 1.15.
        var tariff = Tariff(Element(null, Energy(0.30m, 0), Flat(1.00m, 0), Time(5.00m, 0, 60)));
        var usage = Session("2026-02-10T08:00:00Z", "2026-02-10T08:00:00Z", 0, 500);

        var result = TariffPricing.Price(tariff, Berlin, usage);

        result.ChargingPeriods.ShouldHaveSingleItem().EnergyWh.ShouldBe(500m);
        Totals(result).ShouldBe((1.15m, 0m, 1.15m));
    }

    [Fact]
    public void the_version_in_force_is_the_highest_whose_valid_from_is_not_after_the_start()
    {
        var start = Utc("2026-03-01T10:00:00Z");
        TariffPublished Version(int v, string validFrom) =>
            new("T-1", v, "EUR", [Element(null, Flat(v, 0))], Utc(validFrom), "ops", Utc("2026-01-01T00:00:00Z"));

        ChargeLedger.Tariffs.Tariff.InForceAt([Version(1, "2026-01-01T00:00:00Z"), Version(2, "2026-04-01T00:00:00Z")], start)!.Version.ShouldBe(1);
        // A correction published later but valid from before the start wins over the version it corrects.
        ChargeLedger.Tariffs.Tariff.InForceAt([Version(1, "2026-02-01T00:00:00Z"), Version(2, "2026-01-15T00:00:00Z")], start)!.Version.ShouldBe(2);
        ChargeLedger.Tariffs.Tariff.InForceAt([Version(1, "2026-03-01T10:00:00Z")], start)!.Version.ShouldBe(1);
        ChargeLedger.Tariffs.Tariff.InForceAt([Version(1, "2026-03-01T10:00:01Z")], start).ShouldBeNull();
    }

    internal static (decimal, decimal, decimal) Totals(PricingResult r) => (r.TotalCostExclVat, r.TotalVat, r.TotalCostInclVat);

    internal static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    internal static Tariff Tariff(params TariffElement[] elements) => new("T-1", 1, "EUR", Utc("2026-01-01T00:00:00Z"), elements);

    internal static TariffElement Element(TariffRestrictions? restrictions, params PriceComponent[] components) => new(components, restrictions);

    internal static TariffRestrictions Restrict(string? startTime = null, string? endTime = null, string[]? daysOfWeek = null,
        decimal? minKwh = null, decimal? maxKwh = null, long? minDurationSeconds = null, long? maxDurationSeconds = null) =>
        new(startTime, endTime, daysOfWeek, minKwh, maxKwh, minDurationSeconds, maxDurationSeconds);

    internal static PriceComponent Energy(decimal price, decimal vat, int step = 1) => new(ComponentTypes.Energy, price, vat, step);

    internal static PriceComponent Time(decimal price, decimal vat, int step) => new(ComponentTypes.Time, price, vat, step);

    internal static PriceComponent Parking(decimal price, decimal vat, int step) => new(ComponentTypes.ParkingTime, price, vat, step);

    internal static PriceComponent Flat(decimal price, decimal vat) => new(ComponentTypes.Flat, price, vat, null);

    internal static SessionUsage Session(string start, string stop, long meterStartWh, long meterStopWh,
        (string At, long Wh)[]? readings = null, (string At, bool Charging)[]? statuses = null) =>
        new(Utc(start), Utc(stop), meterStartWh, meterStopWh,
            [.. (readings ?? []).Select(r => new EnergyReading(Utc(r.At), r.Wh))],
            [.. (statuses ?? []).Select(s => new ChargingStateChange(Utc(s.At), s.Charging))]);
}
