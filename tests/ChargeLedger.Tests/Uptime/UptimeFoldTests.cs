using ChargeLedger.ChargePoints;
using ChargeLedger.Projections.Uptime;
using ChargeLedger.Stations;
using CsCheck;
using NodaTime;

namespace ChargeLedger.Tests.Uptime;

/// <summary>
/// The uptime fold with hand-worked seconds. Station zone Europe/Berlin: UTC+1 in winter (CET), UTC+2 in summer (CEST);
/// times below are written in UTC with the local time beside them.
/// </summary>
public class UptimeFoldTests
{
    private static readonly DateTimeZone Berlin = StationClock.Zone("Europe/Berlin");
    private static readonly DateTimeOffset Later = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly LocalDate Jan14 = new(2026, 1, 14);
    private static readonly LocalDate Jan15 = new(2026, 1, 15);

    private long _sequence;

    private static DateTimeOffset Utc(int month, int day, int hour, int minute = 0, int second = 0) =>
        new(2026, month, day, hour, minute, second, TimeSpan.Zero);

    private UptimeTransition Status(int connector, DateTimeOffset at, ConnectorStatus status) =>
        new(connector, at, ++_sequence, UptimeTransitionKind.Status, status.ToString());

    private UptimeTransition Link(DateTimeOffset at, Connectivity connectivity) =>
        new(0, at, ++_sequence, UptimeTransitionKind.Connectivity, connectivity.ToString());

    private UptimeTransition Availability(int connector, DateTimeOffset at, ConnectorAvailability availability) =>
        new(connector, at, ++_sequence, UptimeTransitionKind.Availability, availability.ToString());

    private static IReadOnlyList<ConnectorUptimeDay> Fold(IEnumerable<UptimeTransition> transitions, LocalDate from, LocalDate to,
        DateTimeOffset? now = null) => UptimeFold.Days(transitions, Berlin, from, to, now ?? Later);

    [Fact]
    public void a_fault_spanning_midnight_is_split_between_the_two_station_days()
    {
        var days = Fold(
        [
            Status(1, Utc(1, 14, 7), ConnectorStatus.Available),       // 08:00 local on the 14th: first known status
            Status(1, Utc(1, 14, 21, 30), ConnectorStatus.Faulted),    // 22:30 local
            Status(1, Utc(1, 15, 0, 15), ConnectorStatus.Available),   // 01:15 local on the 15th
        ], Jan14, Jan15);

        // 14th: observed 08:00-24:00 = 16 h = 57,600 s; down 22:30-24:00 = 5,400 s; up 52,200 s; 100 × 52,200 / 57,600 = 90.625 -> 90.63
        // 15th: observed 24 h = 86,400 s; down 00:00-01:15 = 4,500 s; up 81,900 s; 100 × 81,900 / 86,400 = 94.7916… -> 94.79
        days.ShouldBe(
        [
            new ConnectorUptimeDay(1, Jan14, 52_200, 5_400, 0),
            new ConnectorUptimeDay(1, Jan15, 81_900, 4_500, 0),
        ]);
        days.Select(d => d.UptimePercent).ShouldBe([90.63m, 94.79m]);
    }

    [Fact]
    public void a_disconnected_charge_point_is_down_although_its_last_status_was_available()
    {
        var days = Fold(
        [
            Link(Utc(1, 13, 6), Connectivity.Online),
            Status(1, Utc(1, 13, 6), ConnectorStatus.Available),
            Link(Utc(1, 14, 10), Connectivity.Offline),                // 11:00 local
            Link(Utc(1, 14, 10, 20), Connectivity.Online),             // 11:20 local
        ], Jan14, Jan14);

        // Known since the 13th, so the whole day is observed: 86,400 s; down 20 min = 1,200 s; 100 × 85,200 / 86,400 = 98.61
        var day = days.ShouldHaveSingleItem();
        day.ShouldBe(new ConnectorUptimeDay(1, Jan14, 85_200, 1_200, 0));
        day.UptimePercent.ShouldBe(98.61m);
    }

    [Fact]
    public void a_silent_charge_point_is_down_from_detection_until_heard_again_then_offline_until_reconnected()
    {
        var days = Fold(
        [
            Status(1, Utc(1, 13, 6), ConnectorStatus.Charging),
            Link(Utc(1, 14, 12), Connectivity.Silent),                 // detected 13:00 local
            Link(Utc(1, 14, 12, 5), Connectivity.Online),              // heard again 5 min later: 300 s
            Link(Utc(1, 14, 18), Connectivity.Silent),                 // silent again at 19:00 local ...
            Link(Utc(1, 14, 18, 1), Connectivity.Offline),             // ... closed by the idle timeout a minute later ...
            Link(Utc(1, 14, 18, 30), Connectivity.Online),             // ... back 30 min after the silence began: 1,800 s
        ], Jan14, Jan14);

        // down 300 + 1,800 = 2,100 s; up 86,400 − 2,100 = 84,300 s
        days.ShouldBe([new ConnectorUptimeDay(1, Jan14, 84_300, 2_100, 0)]);
    }

    [Fact]
    public void unavailable_while_an_operator_set_inoperative_is_excluded_and_the_rest_is_up_or_down()
    {
        var days = Fold(
        [
            Status(1, Utc(1, 13, 6), ConnectorStatus.Available),
            Availability(1, Utc(1, 14, 9), ConnectorAvailability.Inoperative),    // 10:00 local, ChangeAvailability accepted
            Status(1, Utc(1, 14, 9, 0, 5), ConnectorStatus.Unavailable),         // the charge point reports it 5 s later
            Availability(1, Utc(1, 14, 11), ConnectorAvailability.Operative),     // 12:00 local
            Status(1, Utc(1, 14, 11, 0, 3), ConnectorStatus.Available),           // reported 3 s later
        ], Jan14, Jan14);

        // 09:00:00-09:00:05 Available (up 5 s); 09:00:05-11:00:00 Unavailable + Inoperative: excluded 7,195 s;
        // 11:00:00-11:00:03 Unavailable no longer set by an operator: down 3 s; up 86,400 − 7,195 − 3 = 79,202 s.
        var day = days.ShouldHaveSingleItem();
        day.ShouldBe(new ConnectorUptimeDay(1, Jan14, 79_202, 3, 7_195));
        day.UptimePercent.ShouldBe(100.00m); // 100 × (86,400 − 3) / 86,400 = 99.9965… -> 100.00
    }

    [Fact]
    public void unavailable_without_an_operator_setting_is_down()
    {
        var days = Fold(
        [
            Status(1, Utc(1, 13, 6), ConnectorStatus.Available),
            Status(1, Utc(1, 14, 6), ConnectorStatus.Unavailable),                // 07:00 local
        ], Jan14, Jan14);

        // down from 06:00Z (07:00 local) to the day's end at 23:00Z: 17 h = 61,200 s; up 00:00-07:00 local = 25,200 s
        days.ShouldBe([new ConnectorUptimeDay(1, Jan14, 25_200, 61_200, 0)]);
        days[0].UptimePercent.ShouldBe(29.17m); // 100 × 25,200 / 86,400 = 29.1666…
    }

    [Fact]
    public void planned_maintenance_stays_excluded_while_the_charge_point_is_offline()
    {
        var days = Fold(
        [
            Status(1, Utc(1, 13, 6), ConnectorStatus.Available),
            Availability(1, Utc(1, 14, 9), ConnectorAvailability.Inoperative),
            Status(1, Utc(1, 14, 9), ConnectorStatus.Unavailable),
            Link(Utc(1, 14, 9, 30), Connectivity.Offline),                        // powered off for the work
            Link(Utc(1, 14, 10, 30), Connectivity.Online),
            Availability(1, Utc(1, 14, 11), ConnectorAvailability.Operative),
            Status(1, Utc(1, 14, 11), ConnectorStatus.Available),
        ], Jan14, Jan14);

        // 09:00-11:00 excluded (7,200 s) although offline 09:30-10:30; the rest up
        days.ShouldBe([new ConnectorUptimeDay(1, Jan14, 79_200, 0, 7_200)]);
    }

    [Fact]
    public void offline_beats_an_inoperative_setting_the_charge_point_never_acted_on()
    {
        var days = Fold(
        [
            Status(1, Utc(1, 13, 6), ConnectorStatus.Available),
            Availability(1, Utc(1, 14, 9), ConnectorAvailability.Inoperative),
            Link(Utc(1, 14, 9, 30), Connectivity.Offline),
            Link(Utc(1, 14, 10, 30), Connectivity.Online),
        ], Jan14, Jan14);

        // still Available (never reported Unavailable): the hour offline is down
        days.ShouldBe([new ConnectorUptimeDay(1, Jan14, 82_800, 3_600, 0)]);
    }

    [Fact]
    public void connector_zero_faulted_takes_every_connector_down()
    {
        var days = Fold(
        [
            Status(1, Utc(1, 13, 6), ConnectorStatus.Available),
            Status(2, Utc(1, 13, 6), ConnectorStatus.Charging),
            Status(0, Utc(1, 14, 10), ConnectorStatus.Faulted),
            Status(0, Utc(1, 14, 10, 30), ConnectorStatus.Available),
        ], Jan14, Jan14);

        // 30 min = 1,800 s down on both; connector 0 gets no row of its own
        days.ShouldBe(
        [
            new ConnectorUptimeDay(1, Jan14, 84_600, 1_800, 0),
            new ConnectorUptimeDay(2, Jan14, 84_600, 1_800, 0),
        ]);
    }

    [Fact]
    public void a_whole_charge_point_set_inoperative_excludes_every_connector_and_operative_on_zero_clears_connector_settings()
    {
        var days = Fold(
        [
            Status(1, Utc(1, 13, 6), ConnectorStatus.Available),
            Status(2, Utc(1, 13, 6), ConnectorStatus.Available),
            Availability(2, Utc(1, 13, 7), ConnectorAvailability.Inoperative),   // connector 2 alone, the day before
            Availability(0, Utc(1, 14, 8), ConnectorAvailability.Inoperative),   // the whole charge point at 09:00 local
            Status(0, Utc(1, 14, 8), ConnectorStatus.Unavailable),
            Availability(0, Utc(1, 14, 9), ConnectorAvailability.Operative),     // back at 10:00 local: every connector operative
            Status(0, Utc(1, 14, 9), ConnectorStatus.Available),
            Status(2, Utc(1, 14, 12), ConnectorStatus.Unavailable),              // 13:00 local: not planned any more
        ], Jan14, Jan14);

        // Both: 08:00-09:00Z excluded 3,600 s. Connector 2 is then Unavailable from 12:00Z to the end (23:00Z): down 39,600 s.
        days.ShouldBe(
        [
            new ConnectorUptimeDay(1, Jan14, 82_800, 0, 3_600),
            new ConnectorUptimeDay(2, Jan14, 43_200, 39_600, 3_600),
        ]);
    }

    [Fact]
    public void a_connector_is_observed_from_its_first_known_status_and_never_before()
    {
        var days = Fold(
        [
            Status(1, Utc(1, 13, 23), ConnectorStatus.Available),                // 00:00 local on the 14th
            Status(2, Utc(1, 15, 11), ConnectorStatus.Available),                // 12:00 local on the 15th
        ], Jan14, Jan15);

        days.ShouldBe(
        [
            new ConnectorUptimeDay(1, Jan14, 86_400, 0, 0),
            new ConnectorUptimeDay(1, Jan15, 86_400, 0, 0),
            new ConnectorUptimeDay(2, Jan15, 43_200, 0, 0),                       // 12:00-24:00 local
        ]);
    }

    [Fact]
    public void the_state_before_the_period_carries_into_it()
    {
        var days = Fold([Status(1, Utc(1, 2, 9), ConnectorStatus.Faulted)], Jan14, Jan14);

        days.ShouldBe([new ConnectorUptimeDay(1, Jan14, 0, 86_400, 0)]);
        days[0].UptimePercent.ShouldBe(0m);
    }

    [Fact]
    public void todays_window_ends_now_and_future_days_have_no_rows()
    {
        var now = Utc(1, 14, 12, 34, 56).AddMilliseconds(789);
        var days = Fold([Status(1, Utc(1, 10, 0), ConnectorStatus.Available)], Jan14, Jan15, now);

        // from 00:00 local (13th 23:00Z) to now cut to the second (12:34:56Z): 13 h 34 min 56 s = 48,896 s
        days.ShouldBe([new ConnectorUptimeDay(1, Jan14, 48_896, 0, 0)]);
    }

    [Fact]
    public void dst_change_days_observe_23_and_25_hours()
    {
        var spring = new LocalDate(2026, 3, 29);   // 02:00 CET -> 03:00 CEST
        var autumn = new LocalDate(2026, 10, 25);  // 03:00 CEST -> 02:00 CET
        var transitions = new[] { Status(1, Utc(3, 1, 0), ConnectorStatus.Available) };

        var march = Fold(transitions, spring, spring);
        var october = Fold(transitions, autumn, autumn);

        march.ShouldBe([new ConnectorUptimeDay(1, spring, 82_800, 0, 0)]);
        october.ShouldBe([new ConnectorUptimeDay(1, autumn, 90_000, 0, 0)]);
    }

    [Fact]
    public void a_fault_across_the_spring_forward_hour_counts_real_seconds()
    {
        var spring = new LocalDate(2026, 3, 29);
        var days = Fold(
        [
            Status(1, Utc(3, 1, 0), ConnectorStatus.Available),
            Status(1, Utc(3, 29, 0, 30), ConnectorStatus.Faulted),               // 01:30 CET
            Status(1, Utc(3, 29, 1, 30), ConnectorStatus.Available),             // 03:30 CEST: one real hour later
        ], spring, spring);

        days.ShouldBe([new ConnectorUptimeDay(1, spring, 79_200, 3_600, 0)]);
    }

    [Fact]
    public void a_charge_point_that_never_reports_a_status_has_no_rows()
    {
        Fold([], Jan14, Jan15).ShouldBeEmpty();
        Fold([Link(Utc(1, 14, 8), Connectivity.Online), Link(Utc(1, 14, 9), Connectivity.Offline)], Jan14, Jan15).ShouldBeEmpty();
    }

    [Fact]
    public void device_times_out_of_arrival_order_are_folded_in_time_order()
    {
        var days = Fold(
        [
            Status(1, Utc(1, 13, 6), ConnectorStatus.Available),
            Status(1, Utc(1, 14, 11), ConnectorStatus.Available),                // arrived first, happened later
            Status(1, Utc(1, 14, 10), ConnectorStatus.Faulted),
        ], Jan14, Jan14);

        days.ShouldBe([new ConnectorUptimeDay(1, Jan14, 82_800, 3_600, 0)]);
    }

    [Fact]
    public void up_down_and_excluded_always_add_up_to_the_observed_window()
    {
        var from = new LocalDate(2026, 3, 28);
        var to = new LocalDate(2026, 3, 30);
        var periodStart = StationClock.Day(from, Berlin).Start;
        var now = StationClock.Day(to, Berlin).Start.AddHours(7).AddMilliseconds(250);
        var transition = Gen.Select(Gen.Int[0, 3], Gen.Int[-86_400, 4 * 86_400], Gen.Int[0, 2], Gen.Int[0, 8], (c, s, k, v) =>
            (Connector: c, Offset: s, Kind: (UptimeTransitionKind)k, Value: v));

        transition.Array[0, 40].Sample(generated =>
        {
            var sequence = 0L;
            var transitions = generated.Select(g => new UptimeTransition(g.Kind == UptimeTransitionKind.Connectivity ? 0 : g.Connector,
                periodStart.AddSeconds(g.Offset).AddMilliseconds(g.Offset % 1000), ++sequence, g.Kind, g.Kind switch
                {
                    UptimeTransitionKind.Status => ((ConnectorStatus)g.Value).ToString(),
                    UptimeTransitionKind.Connectivity => ((Connectivity)(g.Value % 3)).ToString(),
                    _ => ((ConnectorAvailability)(g.Value % 2)).ToString(),
                })).ToList();

            foreach (var day in UptimeFold.Days(transitions, Berlin, from, to, now))
            {
                var (start, end) = StationClock.Day(day.Date, Berlin);
                var firstKnown = transitions.Where(t => t.Kind == UptimeTransitionKind.Status && t.ConnectorId == day.ConnectorId)
                    .Min(t => t.At);
                var windowStart = firstKnown > start ? new DateTimeOffset(firstKnown.UtcTicks - (firstKnown.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero) : start;
                var windowEnd = end < now ? end : now.AddMilliseconds(-250);
                day.ObservedSeconds.ShouldBe((long)(windowEnd - windowStart).TotalSeconds);
                day.ConnectorId.ShouldBeGreaterThan(0);
            }
        });
    }
}
