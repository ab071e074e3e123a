using ChargeLedger.Alarms;
using ChargeLedger.Projections.Alarms;
using JasperFx.Events;

namespace ChargeLedger.Tests.Alarms;

public class AlarmProjectionTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private static AlarmView Raised() => AlarmProjection.Create(new Event<AlarmRaised>(new AlarmRaised("connector_faulted.CP-1.1.7",
        "chargepoint:CP-1/connector:1", AlarmKinds.ConnectorFaulted, AlarmSeverities.Major, At,
        new Dictionary<string, string> { ["errorCode"] = "GroundFailure" }, "ST-1", "CP-1", 1, null, null, 7))
    {
        StreamKey = "alarm:connector_faulted.CP-1.1.7",
    });

    [Fact]
    public void a_raised_alarm_is_active_and_keyed_by_its_stream()
    {
        var view = Raised();

        (view.Id, view.AlarmId, view.Active, view.RaisedAt, view.RaisedSequence).ShouldBe(
            ("alarm:connector_faulted.CP-1.1.7", "connector_faulted.CP-1.1.7", true, At, 7L));
        view.Detail["errorCode"].ShouldBe("GroundFailure");
        (view.StationId, view.ChargePointId, view.ConnectorId).ShouldBe(("ST-1", "CP-1", (int?)1));
    }

    [Fact]
    public void the_first_acknowledgement_counts_and_clearing_ends_the_alarm_without_touching_it()
    {
        var view = Raised();

        AlarmProjection.Apply(new AlarmAcknowledged(view.AlarmId, "ops", At.AddMinutes(1), "on it"), view);
        AlarmProjection.Apply(new AlarmAcknowledged(view.AlarmId, "other", At.AddMinutes(2), null), view);
        AlarmProjection.Apply(new AlarmCleared(view.AlarmId, At.AddMinutes(5), "status_Available", 9), view);

        (view.AcknowledgedAt, view.AcknowledgedBy, view.AcknowledgementNote).ShouldBe(((DateTimeOffset?)At.AddMinutes(1), "ops", "on it"));
        (view.Active, view.ClearedAt, view.ClearReason).ShouldBe((false, (DateTimeOffset?)At.AddMinutes(5), "status_Available"));
    }
}
