using System.Globalization;
using System.Text.Json;
using ChargeLedger.Alarms;
using ChargeLedger.ChargePoints;
using ChargeLedger.Telemetry;

namespace ChargeLedger.Tests.Alarms;

/// <summary>
/// The alarm evaluator as tables: a recorded event list (sequence = position, from 1) in, the alarm events out, written
/// "raised|cleared|acknowledged {alarmId} @HH:mm:ss [reason]". Times are UTC on 2026-03-02 unless a day offset says otherwise.
/// </summary>
public class AlarmEvaluatorTests
{
    private const string Cp = "CP-1";
    private const string Device = "TR-1";
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(double minutes) => T0.AddMinutes(minutes);

    private static ChargePointRegistered Registered() => new(Cp, "ST-1", T0.AddDays(-1));

    private static ConnectorStatusChanged Status(double minutes, ConnectorStatus status, int connector = 1, string errorCode = "NoError") =>
        new(Cp, connector, status, errorCode, status == ConnectorStatus.Faulted ? "overheat" : null, null, status == ConnectorStatus.Faulted ? "E42" : null,
            At(minutes), At(minutes));

    private static ChargePointConnected Connected(double minutes, string connection = "c1") => new(Cp, connection, null, At(minutes));

    private static ChargePointDisconnected Disconnected(double minutes, string connection = "c1") => new(Cp, connection, "closed", At(minutes));

    private static ChargePointConnectionReplaced Replaced(double minutes, string from, string to) => new(Cp, from, to, At(minutes));

    private static ChargePointWentSilent Silent(double minutes, string connection = "c1") => new(Cp, connection, At(minutes - 10), At(minutes));

    private static ChargePointHeardAgain Heard(double minutes, string connection = "c1") => new(Cp, connection, At(minutes - 10), At(minutes));

    private static AlarmRuleDefined Rule(string comparator = ">", decimal threshold = 85, int forSeconds = 60, string kind = "transformer",
        string measurand = "Temperature", int version = 1, string id = "R-1") =>
        new(id, kind, measurand, comparator, threshold, forSeconds, AlarmSeverities.Major, version, "ops", T0.AddDays(-1));

    private static TelemetryRecorded Reading(double seconds, decimal? value, string kind = "transformer", string measurand = "Temperature",
        string device = Device) =>
        new(device, "ST-1", "GW-1", kind, T0.AddSeconds(seconds),
            [new TelemetrySample("temp", measurand, "Cel", value, value is null ? 2014 : null), new TelemetrySample("load", "Load", "%", 50, null)]);

    private static IReadOnlyList<AlarmTrigger> Recorded(params object[] events) => [.. events.Select((e, i) => new AlarmTrigger(i + 1, e))];

    private static List<string> Alarms(params object[] events) => Describe(AlarmEvaluator.Evaluate(AlarmState.Empty, Recorded(events)).Changes);

    private static List<string> Describe(IEnumerable<AlarmChange> changes) => [.. changes.Select(c => c.Event switch
    {
        AlarmRaised r => $"raised {r.AlarmId} @{Time(r.RaisedAt)}",
        AlarmCleared x => $"cleared {x.AlarmId} @{Time(x.ClearedAt)} {x.Reason}",
        _ => c.Event.ToString()!,
    })];

    private static string Time(DateTimeOffset at)
    {
        var days = (at.UtcDateTime.Date - T0.UtcDateTime.Date).Days;
        var time = at.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        return days == 0 ? time : string.Create(CultureInfo.InvariantCulture, $"{days}d+{time}");
    }

    public static TheoryData<string, object[], string[]> ConnectorCases() => new()
    {
        {
            "a fault is raised at the device time and cleared by the next non-Faulted status",
            [Registered(), Status(0, ConnectorStatus.Available), Status(10, ConnectorStatus.Faulted), Status(25, ConnectorStatus.Available)],
            ["raised connector_faulted.CP-1.1.3 @09:10:00", "cleared connector_faulted.CP-1.1.3 @09:25:00 status_Available"]
        },
        {
            "a Faulted report while faulted is the same fault",
            [Status(0, ConnectorStatus.Faulted), Status(5, ConnectorStatus.Faulted, errorCode: "GroundFailure"), Status(9, ConnectorStatus.Unavailable)],
            ["raised connector_faulted.CP-1.1.1 @09:00:00", "cleared connector_faulted.CP-1.1.1 @09:09:00 status_Unavailable"]
        },
        {
            "connectors are separate sources",
            [Status(0, ConnectorStatus.Faulted, 1), Status(1, ConnectorStatus.Faulted, 2), Status(2, ConnectorStatus.Available, 1)],
            ["raised connector_faulted.CP-1.1.1 @09:00:00", "raised connector_faulted.CP-1.2.2 @09:01:00", "cleared connector_faulted.CP-1.1.1 @09:02:00 status_Available"]
        },
        {
            "statuses that are not Faulted raise nothing",
            [Status(0, ConnectorStatus.Available), Status(1, ConnectorStatus.Charging), Status(2, ConnectorStatus.Unavailable)],
            []
        },
        {
            "three faults within 24 h of device time raise one repeated-faults alarm at the third",
            [Status(0, ConnectorStatus.Faulted), Status(10, ConnectorStatus.Available), Status(600, ConnectorStatus.Faulted), Status(610, ConnectorStatus.Available),
             Status(1400, ConnectorStatus.Faulted), Status(1410, ConnectorStatus.Available), Status(1420, ConnectorStatus.Faulted)],
            ["raised connector_faulted.CP-1.1.1 @09:00:00", "cleared connector_faulted.CP-1.1.1 @09:10:00 status_Available",
             "raised connector_faulted.CP-1.1.3 @19:00:00", "cleared connector_faulted.CP-1.1.3 @19:10:00 status_Available",
             "raised connector_faulted.CP-1.1.5 @1d+08:20:00", "raised repeated_faults.CP-1.1.5 @1d+08:20:00",
             "cleared connector_faulted.CP-1.1.5 @1d+08:30:00 status_Available",
             "raised connector_faulted.CP-1.1.7 @1d+08:40:00"]
        },
        {
            "three faults spread over more than 24 h raise no repeated-faults alarm",
            [Status(0, ConnectorStatus.Faulted), Status(1, ConnectorStatus.Available), Status(720, ConnectorStatus.Faulted), Status(721, ConnectorStatus.Available),
             Status(1441, ConnectorStatus.Faulted)],
            ["raised connector_faulted.CP-1.1.1 @09:00:00", "cleared connector_faulted.CP-1.1.1 @09:01:00 status_Available",
             "raised connector_faulted.CP-1.1.3 @21:00:00", "cleared connector_faulted.CP-1.1.3 @21:01:00 status_Available",
             "raised connector_faulted.CP-1.1.5 @1d+09:01:00"]
        },
        {
            "the repeated-faults alarm clears at the first report after 24 h without a fault",
            [Status(0, ConnectorStatus.Faulted), Status(1, ConnectorStatus.Available), Status(2, ConnectorStatus.Faulted), Status(3, ConnectorStatus.Available),
             Status(4, ConnectorStatus.Faulted), Status(5, ConnectorStatus.Available), Status(1000, ConnectorStatus.Charging), Status(1445, ConnectorStatus.Available)],
            ["raised connector_faulted.CP-1.1.1 @09:00:00", "cleared connector_faulted.CP-1.1.1 @09:01:00 status_Available",
             "raised connector_faulted.CP-1.1.3 @09:02:00", "cleared connector_faulted.CP-1.1.3 @09:03:00 status_Available",
             "raised connector_faulted.CP-1.1.5 @09:04:00", "raised repeated_faults.CP-1.1.5 @09:04:00",
             "cleared connector_faulted.CP-1.1.5 @09:05:00 status_Available",
             "cleared repeated_faults.CP-1.1.5 @1d+09:05:00 no_faults_in_24h"]
        },
    };

    [Theory]
    [MemberData(nameof(ConnectorCases))]
    public void connector_faults(string because, object[] events, string[] expected) => Alarms(events).ShouldBe(expected, ignoreOrder: false, customMessage: because);

    public static TheoryData<string, object[], string[]> ConnectivityCases() => new()
    {
        {
            "a disconnect raises offline and the next connection clears it",
            [Registered(), Connected(0), Disconnected(30), Connected(45, "c2")],
            ["raised charge_point_offline.CP-1.3 @09:30:00", "cleared charge_point_offline.CP-1.3 @09:45:00 reconnected"]
        },
        {
            "the close of a replaced connection is not an outage",
            [Connected(0), Replaced(5, "c1", "c2"), Disconnected(6, "c1"), Disconnected(50, "c2")],
            ["raised charge_point_offline.CP-1.4 @09:50:00"]
        },
        {
            "a second disconnect while offline raises nothing new",
            [Connected(0), Disconnected(1), Disconnected(2)],
            ["raised charge_point_offline.CP-1.2 @09:01:00"]
        },
        {
            "silence is raised when detected and cleared when heard again",
            [Connected(0), Silent(20), Heard(30)],
            ["raised charge_point_silent.CP-1.2 @09:20:00", "cleared charge_point_silent.CP-1.2 @09:30:00 heard_again"]
        },
        {
            "a disconnect while silent clears the silence and offline takes over",
            [Connected(0), Silent(20), Disconnected(25), Connected(40, "c2")],
            ["raised charge_point_silent.CP-1.2 @09:20:00", "cleared charge_point_silent.CP-1.2 @09:25:00 disconnected",
             "raised charge_point_offline.CP-1.3 @09:25:00", "cleared charge_point_offline.CP-1.3 @09:40:00 reconnected"]
        },
        {
            "a new connection ends a silence too",
            [Connected(0), Silent(20), Replaced(22, "c1", "c2")],
            ["raised charge_point_silent.CP-1.2 @09:20:00", "cleared charge_point_silent.CP-1.2 @09:22:00 reconnected"]
        },
    };

    [Theory]
    [MemberData(nameof(ConnectivityCases))]
    public void connectivity(string because, object[] events, string[] expected) => Alarms(events).ShouldBe(expected, ignoreOrder: false, customMessage: because);

    public static TheoryData<string, object[], string[]> ThresholdCases() => new()
    {
        {
            "raised once the condition has held for forSeconds of gateway time, cleared by the first sample that does not hold",
            [Rule(), Reading(0, 80), Reading(10, 86), Reading(40, 90), Reading(69, 91), Reading(70, 92), Reading(80, 95), Reading(90, 85)],
            ["raised telemetry_threshold.R-1.TR-1.6 @09:01:10", "cleared telemetry_threshold.R-1.TR-1.6 @09:01:30 condition_ended"]
        },
        {
            "a break in the condition restarts the duration",
            [Rule(), Reading(0, 90), Reading(50, 84), Reading(60, 90), Reading(100, 90), Reading(120, 90)],
            ["raised telemetry_threshold.R-1.TR-1.6 @09:02:00"]
        },
        {
            "samples with an error code and no value change nothing",
            [Rule(), Reading(0, 90), Reading(30, null), Reading(60, 90), Reading(70, null), Reading(80, 70)],
            ["raised telemetry_threshold.R-1.TR-1.4 @09:01:00", "cleared telemetry_threshold.R-1.TR-1.4 @09:01:20 condition_ended"]
        },
        {
            "forSeconds 0 raises at the first sample that holds",
            [Rule(comparator: "<=", threshold: 10, forSeconds: 0), Reading(0, 11), Reading(5, 10)],
            ["raised telemetry_threshold.R-1.TR-1.3 @09:00:05"]
        },
        {
            "a rule applies only to its device kind and measurand",
            [Rule(), Reading(0, 99, kind: "cabinet"), Reading(70, 99, kind: "cabinet"), Reading(0, 99, measurand: "Humidity"), Reading(70, 99, measurand: "Humidity")],
            []
        },
        {
            "a rule takes effect at its place in the event order",
            [Reading(0, 99), Reading(50, 99), Rule(), Reading(60, 99), Reading(119, 99), Reading(120, 99)],
            ["raised telemetry_threshold.R-1.TR-1.6 @09:02:00"]
        },
        {
            "each device is watched on its own",
            [Rule(), Reading(0, 99), Reading(30, 99, device: "TR-2"), Reading(60, 99), Reading(80, 99, device: "TR-2"), Reading(90, 99, device: "TR-2")],
            ["raised telemetry_threshold.R-1.TR-1.4 @09:01:00", "raised telemetry_threshold.R-1.TR-2.6 @09:01:30"]
        },
        {
            "a message older than one already taken in is ignored",
            [Rule(), Reading(0, 99), Reading(60, 70), Reading(30, 99), Reading(90, 99)],
            []
        },
        {
            "a new version of the rule restarts the duration under the new rule",
            [Rule(), Reading(0, 90), Rule(threshold: 95, version: 2), Reading(30, 96), Reading(60, 96), Reading(90, 96)],
            ["raised telemetry_threshold.R-1.TR-1.6 @09:01:30"]
        },
    };

    [Theory]
    [MemberData(nameof(ThresholdCases))]
    public void telemetry_thresholds(string because, object[] events, string[] expected) => Alarms(events).ShouldBe(expected, ignoreOrder: false, customMessage: because);

    [Theory]
    [InlineData(">", 85, 86, true)]
    [InlineData(">", 85, 85, false)]
    [InlineData(">=", 85, 85, true)]
    [InlineData("<", 10, 9.5, true)]
    [InlineData("<", 10, 10, false)]
    [InlineData("<=", 10, 10, true)]
    [InlineData("==", 1, 1, true)]
    [InlineData("==", 1, 0, false)]
    [InlineData("!=", 1, 0, true)]
    [InlineData("!=", 1, 1, false)]
    public void comparators(string comparator, double threshold, double value, bool holds) =>
        Comparators.Holds(comparator, (decimal)value, (decimal)threshold).ShouldBe(holds);

    [Fact]
    public void a_raised_alarm_names_its_source_station_and_detail()
    {
        var raised = AlarmEvaluator.Evaluate(AlarmState.Empty, Recorded(Registered(), Status(0, ConnectorStatus.Faulted, 2, "HighTemperature")))
            .Changes.Select(c => c.Event).OfType<AlarmRaised>().ShouldHaveSingleItem();

        raised.ShouldBe(raised with
        {
            AlarmId = "connector_faulted.CP-1.2.2",
            Source = "chargepoint:CP-1/connector:2",
            Kind = AlarmKinds.ConnectorFaulted,
            Severity = AlarmSeverities.Major,
            RaisedAt = T0,
            StationId = "ST-1",
            ChargePointId = Cp,
            ConnectorId = 2,
            DeviceId = null,
            RuleId = null,
            TriggerSequence = 2,
        });
        raised.Detail.ShouldBe(new Dictionary<string, string> { ["errorCode"] = "HighTemperature", ["info"] = "overheat", ["vendorErrorCode"] = "E42" },
            ignoreOrder: true);
    }

    [Fact]
    public void a_threshold_alarm_carries_the_rule_the_value_and_the_device()
    {
        var raised = AlarmEvaluator.Evaluate(AlarmState.Empty, Recorded(Rule(forSeconds: 0), Reading(0, 90.5m)))
            .Changes.Select(c => c.Event).OfType<AlarmRaised>().ShouldHaveSingleItem();

        raised.Source.ShouldBe("device:TR-1");
        raised.DeviceId.ShouldBe(Device);
        raised.RuleId.ShouldBe("R-1");
        raised.StationId.ShouldBe("ST-1");
        raised.Detail["value"].ShouldBe("90.5");
        raised.Detail["threshold"].ShouldBe("85");
        raised.Detail["comparator"].ShouldBe(">");
        raised.Detail["unit"].ShouldBe("Cel");
    }

    [Fact]
    public void telemetry_no_rule_watches_leaves_no_state()
    {
        var result = AlarmEvaluator.Evaluate(AlarmState.Empty, Recorded(Rule(), Reading(0, 99, kind: "meter", device: "MTR-1"), Reading(0, 99)));

        result.State.Devices.Keys.ShouldBe([Device]);
        result.State.Devices[Device].Watches.ShouldHaveSingleItem().HoldingSince.ShouldBe(T0);
    }

    private static object[] RecordedDay() =>
    [
        Registered(), Rule(), Connected(0), Status(1, ConnectorStatus.Available), Status(2, ConnectorStatus.Faulted), Reading(0, 90),
        Status(3, ConnectorStatus.Available), Reading(60, 91), Silent(20), Status(21, ConnectorStatus.Faulted), Heard(22), Status(23, ConnectorStatus.Available),
        Disconnected(30), Status(31, ConnectorStatus.Faulted), Reading(90, 20), Connected(40, "c2"), Status(41, ConnectorStatus.Available),
    ];

    [Fact]
    public void the_same_events_evaluated_twice_give_identical_alarms()
    {
        var first = AlarmEvaluator.Evaluate(AlarmState.Empty, Recorded(RecordedDay()));
        var second = AlarmEvaluator.Evaluate(AlarmState.Empty, Recorded(RecordedDay()));

        first.Changes.Count.ShouldBe(13);
        Json(second.Changes).ShouldBe(Json(first.Changes));
    }

    [Fact]
    public void evaluating_page_by_page_from_stored_state_gives_the_same_alarms_as_all_at_once()
    {
        var triggers = Recorded(RecordedDay());
        var whole = AlarmEvaluator.Evaluate(AlarmState.Empty, triggers);

        var state = AlarmState.Empty;
        var changes = new List<AlarmChange>();
        foreach (var page in triggers.Chunk(4))
        {
            var result = AlarmEvaluator.Evaluate(RoundTrip(state), page);
            state = result.State;
            changes.AddRange(result.Changes);
        }

        Json(changes).ShouldBe(Json(whole.Changes));
    }

    [Fact]
    public void events_already_taken_in_are_ignored_when_delivered_again()
    {
        var triggers = Recorded(RecordedDay());
        var once = AlarmEvaluator.Evaluate(AlarmState.Empty, triggers);

        var again = AlarmEvaluator.Evaluate(once.State, triggers);

        again.Changes.ShouldBeEmpty();
        Json(again.State).ShouldBe(Json(once.State));
    }

    /// <summary>The state as the subscription keeps it: each document serialised and read back.</summary>
    private static AlarmState RoundTrip(AlarmState state) => state with
    {
        Rules = JsonSerializer.Deserialize<AlarmRuleBook>(JsonSerializer.Serialize(state.Rules))!,
        ChargePoints = AlarmState.Empty.ChargePoints.SetItems(state.ChargePoints.Select(p =>
            KeyValuePair.Create(p.Key, JsonSerializer.Deserialize<ChargePointAlarmState>(JsonSerializer.Serialize(p.Value))!))),
        Devices = AlarmState.Empty.Devices.SetItems(state.Devices.Select(p =>
            KeyValuePair.Create(p.Key, JsonSerializer.Deserialize<DeviceAlarmState>(JsonSerializer.Serialize(p.Value))!))),
    };

    private static string Json<T>(T value) => JsonSerializer.Serialize(value);
}
