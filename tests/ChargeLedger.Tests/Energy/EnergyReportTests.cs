using ChargeLedger.Projections.Energy;
using NodaTime;
using static ChargeLedger.Tests.Energy.EnergySession;

namespace ChargeLedger.Tests.Energy;

public class EnergyReportTests
{
    private static readonly LocalDate Day = new(2026, 3, 2);

    /// <summary>CP-1 connector 1: 10:00-10:30 UTC at 6,000 W (3,000 Wh); connector 2: 10:15-10:45 at 4,000 W (2,000 Wh); CP-2: 10:00-11:00 at 1,000 W.</summary>
    private static List<EnergySessionView> ThreeSessions() =>
    [
        Run(Started(Utc(2026, 3, 2, 10, 0), 0, "CP-1", 1, 1), Stopped(Utc(2026, 3, 2, 10, 30), 3000)),
        Run(Started(Utc(2026, 3, 2, 10, 15), 0, "CP-1", 2, 2), Stopped(Utc(2026, 3, 2, 10, 45), 2000)),
        Run(Started(Utc(2026, 3, 2, 10, 0), 0, "CP-2", 1, 3), Stopped(Utc(2026, 3, 2, 11, 0), 1000)),
    ];

    private static IReadOnlyList<EnergyReportRow> Report(IEnumerable<EnergySessionView> sessions, EnergyLevel level, EnergyGrouping grouping = EnergyGrouping.Day) =>
        EnergyReportBuilder.Build(sessions, Day, Day, grouping, level, BerlinStations);

    [Fact]
    public void rows_per_connector_charge_point_and_station()
    {
        var sessions = ThreeSessions();

        Report(sessions, EnergyLevel.Connector).Select(r => (r.ChargePointId, r.ConnectorId, r.EnergyWh, r.Sessions, r.PeakPowerW)).ShouldBe(
            [("CP-1", 1, 3000L, 1, 6000L), ("CP-1", 2, 2000L, 1, 4000L), ("CP-2", (int?)1, 1000L, 1, (long?)1000)]);
        Report(sessions, EnergyLevel.ChargePoint).Select(r => (r.ChargePointId, r.ConnectorId, r.EnergyWh, r.Sessions)).ShouldBe(
            [("CP-1", null, 5000L, 2), ("CP-2", (int?)null, 1000L, 1)]);
        var station = Report(sessions, EnergyLevel.Station).ShouldHaveSingleItem();
        (station.StationId, station.ChargePointId, station.ConnectorId, station.EnergyWh, station.Sessions).ShouldBe((StationId, null, null, 6000L, 3));
    }

    [Fact]
    public void the_peak_of_a_charge_point_adds_up_its_connectors_charging_in_the_same_slot()
    {
        // Slot 10:15 has connector 1 at 6,000 W and connector 2 at 4,000 W: CP-1 peaks at 10,000 W; with CP-2's 1,000 W the station at 11,000 W.
        var sessions = ThreeSessions();

        Report(sessions, EnergyLevel.ChargePoint).Select(r => r.PeakPowerW).ShouldBe([10_000L, 1000L]);
        Report(sessions, EnergyLevel.Station).ShouldHaveSingleItem().PeakPowerW.ShouldBe(11_000);
    }

    [Fact]
    public void consecutive_sessions_on_one_connector_share_a_slot_without_adding_their_peaks()
    {
        // 10:00-10:05 at 12,000 W (1,000 Wh), then 10:10-10:15 at 6,000 W (500 Wh), both in slot 10:00 of connector 1.
        var first = Run(Started(Utc(2026, 3, 2, 10, 0), 0, "CP-1", 1, 1), Stopped(Utc(2026, 3, 2, 10, 5), 1000));
        var second = Run(Started(Utc(2026, 3, 2, 10, 10), 1000, "CP-1", 1, 2), Stopped(Utc(2026, 3, 2, 10, 15), 1500));

        var row = Report([first, second], EnergyLevel.ChargePoint).ShouldHaveSingleItem();

        (row.EnergyWh, row.Sessions, row.PeakPowerW).ShouldBe((1500L, 2, (long?)12_000));
    }

    [Fact]
    public void a_session_is_counted_in_every_hour_it_was_active_in_even_without_energy()
    {
        // Plugged in 10:50-13:10 local (09:50-12:10 UTC), charging only from 09:50 to 10:00 UTC; a session with nothing sampled yet counts where it started.
        var idle = Run(Started(Utc(2026, 3, 2, 9, 50), 0, "CP-1", 1, 1),
            Values(Register(Utc(2026, 3, 2, 10, 0), "500"), Register(Utc(2026, 3, 2, 12, 10), "500")));
        var justStarted = Run(Started(Utc(2026, 3, 2, 12, 30), 0, "CP-1", 2, 2));

        var rows = Report([idle, justStarted], EnergyLevel.ChargePoint, EnergyGrouping.Hour);

        rows.Select(r => (r.Period, r.EnergyWh, r.Sessions)).ShouldBe(
        [
            ("2026-03-02T10:00:00+01:00", 500L, 1),
            ("2026-03-02T11:00:00+01:00", 0L, 1),
            ("2026-03-02T12:00:00+01:00", 0L, 1),
            ("2026-03-02T13:00:00+01:00", 0L, 2),
        ]);
    }

    [Fact]
    public void a_session_ending_exactly_on_the_hour_is_not_counted_in_the_next_hour()
    {
        var view = Run(Started(Utc(2026, 3, 2, 10, 30), 0), Stopped(Utc(2026, 3, 2, 11, 0), 500));

        Report([view], EnergyLevel.ChargePoint, EnergyGrouping.Hour).ShouldHaveSingleItem().Period.ShouldBe("2026-03-02T11:00:00+01:00");
    }

    [Fact]
    public void only_the_requested_local_days_are_reported()
    {
        // 22:00 UTC on 2 March is 23:00 local; the session runs to 01:00 local on 3 March, only 2 March is asked for.
        var view = Run(Started(Utc(2026, 3, 2, 22, 0), 0), Stopped(Utc(2026, 3, 3, 0, 0), 2000));

        var row = Report([view], EnergyLevel.ChargePoint).ShouldHaveSingleItem();

        (row.Period, row.EnergyWh, row.Sessions).ShouldBe(("2026-03-02", 1000L, 1));
    }

    [Fact]
    public void a_station_whose_zone_is_unknown_is_reported_in_utc()
    {
        var view = Run(Started(Utc(2026, 3, 2, 23, 30), 0), Stopped(Utc(2026, 3, 3, 0, 30), 1000));

        var rows = EnergyReportBuilder.Build([view], Day, Day, EnergyGrouping.Day, EnergyLevel.Station, new Dictionary<string, DateTimeZone>());

        rows.ShouldHaveSingleItem().EnergyWh.ShouldBe(500);
    }

    [Fact]
    public void sessions_of_one_group_arriving_apart_are_refused_rather_than_reported_twice()
    {
        var sessions = ThreeSessions();
        var builder = new EnergyReportBuilder(Day, Day, EnergyGrouping.Day, EnergyLevel.ChargePoint, BerlinStations);
        builder.Add(sessions[0]);
        builder.Add(sessions[2]);

        Should.Throw<InvalidOperationException>(() => builder.Add(sessions[1]));
    }
}
