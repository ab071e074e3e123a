using ChargeLedger.Projections.Energy;
using ChargeLedger.Stations;
using NodaTime;
using static ChargeLedger.Tests.Energy.EnergySession;

namespace ChargeLedger.Tests.Energy;

public class EnergyPeriodsTests
{
    [Fact]
    public void the_spring_forward_day_in_berlin_has_23_hours_and_no_0200()
    {
        var hours = EnergyPeriods.For(Berlin, new LocalDate(2026, 3, 29), new LocalDate(2026, 3, 29), EnergyGrouping.Hour);

        hours.Count.ShouldBe(23);
        hours.Take(3).Select(p => p.Label).ShouldBe(["2026-03-29T00:00:00+01:00", "2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00"]);
        hours[0].Start.ShouldBe(Utc(2026, 3, 28, 23, 0));
        hours[^1].End.ShouldBe(Utc(2026, 3, 29, 22, 0));
    }

    [Fact]
    public void days_are_local_days_in_utc_and_contiguous()
    {
        var days = EnergyPeriods.For(Berlin, new LocalDate(2026, 10, 24), new LocalDate(2026, 10, 26), EnergyGrouping.Day);

        days.Select(d => (d.Label, (d.End - d.Start).TotalHours)).ShouldBe([("2026-10-24", 24.0), ("2026-10-25", 25.0), ("2026-10-26", 24.0)]);
        days[0].Start.ShouldBe(Utc(2026, 10, 23, 22, 0));
        days.Zip(days.Skip(1)).ShouldAllBe(pair => pair.First.End == pair.Second.Start);
    }

    [Fact]
    public void hours_follow_half_hour_offsets_and_half_hour_dst_shifts()
    {
        // Asia/Kolkata is UTC+05:30: local hours start at :30 UTC.
        var kolkata = EnergyPeriods.For(StationClock.Zone("Asia/Kolkata"), new LocalDate(2026, 6, 1), new LocalDate(2026, 6, 1), EnergyGrouping.Hour);
        kolkata.Count.ShouldBe(24);
        kolkata[0].Label.ShouldBe("2026-06-01T00:00:00+05:30");
        kolkata[0].Start.ShouldBe(Utc(2026, 5, 31, 18, 30));

        // Lord Howe Island leaves DST (+11:00 -> +10:30) at 02:00 local on 5 April 2026: 01:30-02:00 happens twice.
        var lordHowe = EnergyPeriods.For(StationClock.Zone("Australia/Lord_Howe"), new LocalDate(2026, 4, 5), new LocalDate(2026, 4, 5), EnergyGrouping.Hour);
        lordHowe.Select(p => p.Label).Take(4).ShouldBe(
            ["2026-04-05T00:00:00+11:00", "2026-04-05T01:00:00+11:00", "2026-04-05T01:30:00+10:30", "2026-04-05T02:00:00+10:30"]);
        (lordHowe[2].End - lordHowe[2].Start).ShouldBe(TimeSpan.FromMinutes(30));
        lordHowe.Sum(p => (p.End - p.Start).TotalHours).ShouldBe(24.5);
    }

    [Fact]
    public void a_slot_is_the_15_minute_utc_interval_holding_the_instant()
    {
        EnergyPeriods.SlotStart(EnergyPeriods.SlotOf(Utc(2026, 3, 2, 10, 14, 59))).ShouldBe(Utc(2026, 3, 2, 10, 0));
        EnergyPeriods.SlotStart(EnergyPeriods.SlotOf(Utc(2026, 3, 2, 10, 15))).ShouldBe(Utc(2026, 3, 2, 10, 15));
        EnergyPeriods.SlotStart(EnergyPeriods.SlotOf(new DateTimeOffset(2026, 3, 2, 11, 20, 0, TimeSpan.FromHours(1)))).ShouldBe(Utc(2026, 3, 2, 10, 15));
        EnergyPeriods.SlotStart(EnergyPeriods.SlotOf(Utc(1969, 12, 31, 23, 59))).ShouldBe(Utc(1969, 12, 31, 23, 45));
    }

    [Fact]
    public void an_instant_is_found_in_its_period_and_outside_the_range_in_none()
    {
        var days = EnergyPeriods.For(Berlin, new LocalDate(2026, 1, 14), new LocalDate(2026, 1, 15), EnergyGrouping.Day);

        EnergyPeriods.IndexOf(days, Utc(2026, 1, 14, 22, 59)).ShouldBe(0);
        EnergyPeriods.IndexOf(days, Utc(2026, 1, 14, 23, 0)).ShouldBe(1);
        EnergyPeriods.IndexOf(days, Utc(2026, 1, 13, 22, 59)).ShouldBe(-1);
        EnergyPeriods.IndexOf(days, Utc(2026, 1, 15, 23, 0)).ShouldBe(-1);
    }
}
