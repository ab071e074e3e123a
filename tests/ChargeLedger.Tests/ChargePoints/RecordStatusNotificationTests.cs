using ChargeLedger.ChargePoints;
using ChargeLedger.Ledger;

namespace ChargeLedger.Tests.ChargePoints;

public class RecordStatusNotificationTests
{
    private static readonly DateTimeOffset DeviceTime = Scenario.Now.AddSeconds(-5);

    private static Decision<bool> Handle(ChargePointLedger ledger, int connectorId, ConnectorStatus status, string errorCode = "NoError",
        string? info = null, DateTimeOffset? timestamp = null) =>
        RecordStatusNotificationHandler.Handle(
            new RecordStatusNotification(ledger, connectorId, status, errorCode, info, "ACME", null, timestamp ?? DeviceTime), Scenario.Clock());

    private static ConnectorStatusChanged Changed(int connectorId, ConnectorStatus status, string errorCode = "NoError", string? info = null,
        DateTimeOffset? statusAt = null) =>
        new(Scenario.ChargePointId, connectorId, status, errorCode, info, "ACME", null, statusAt ?? DeviceTime, Scenario.Now);

    /// <summary>Every (current state, reported status) pair on connector 1, "none" meaning no report yet.</summary>
    public static TheoryData<ConnectorStatus?, ConnectorStatus> CurrentByReported()
    {
        var data = new TheoryData<ConnectorStatus?, ConnectorStatus>();
        foreach (var reported in Enum.GetValues<ConnectorStatus>())
        {
            data.Add(null, reported);
            foreach (var current in Enum.GetValues<ConnectorStatus>())
            {
                data.Add(current, reported);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CurrentByReported))]
    public void records_a_change_and_flags_it_when_the_spec_does_not_list_it(ConnectorStatus? current, ConnectorStatus reported)
    {
        var ledger = current is { } c ? Scenario.ChargePoint(Scenario.StatusChanged(1, c)) : Scenario.ChargePoint();

        var decision = Handle(ledger, 1, reported);

        decision.Result.ShouldBeTrue();
        if (current == reported)
        {
            decision.Change.ShouldBe(LedgerChange.None);
            return;
        }

        var flagged = current is { } from && !ConnectorStateMachineTests.SpecExpects(from, reported);
        object[] expected = flagged
            ? [Changed(1, reported), new ConnectorTransitionFlagged(Scenario.ChargePointId, 1, current, reported, DeviceTime)]
            : [Changed(1, reported)];
        decision.Change.Events().ShouldBe(expected);
    }

    [Fact]
    public void first_report_records_connector_status_changed_on_the_charge_point_stream_at_the_ledger_version()
    {
        var ledger = Scenario.ChargePoint(Scenario.StatusChanged(2, ConnectorStatus.Available));

        var decision = Handle(ledger, 1, ConnectorStatus.Available);

        var append = decision.Change.SingleAppend();
        append.StreamKey.ShouldBe("chargepoint:CP-1");
        append.ExpectedVersion.ShouldBe(2);
        append.ExpectedVersion.ShouldBe(ledger.ChargePoint.Version);
        append.PreviousHash.ShouldBeNull();
        append.Events.ShouldBe([Changed(1, ConnectorStatus.Available)]);
        decision.Change.Inserts.ShouldBeEmpty();
        decision.Change.ClosedTransactions.ShouldBeEmpty();
    }

    [Fact]
    public void identical_repeat_records_nothing()
    {
        var ledger = Scenario.ChargePoint(Scenario.StatusChanged(1, ConnectorStatus.Charging, "NoError", "plugged"));

        var decision = Handle(ledger, 1, ConnectorStatus.Charging, "NoError", "plugged", timestamp: Scenario.Now);

        decision.Result.ShouldBeTrue();
        decision.Change.IsEmpty.ShouldBeTrue();
    }

    [Fact]
    public void error_code_change_on_the_same_status_is_recorded_and_not_flagged()
    {
        var ledger = Scenario.ChargePoint(Scenario.StatusChanged(1, ConnectorStatus.Available));

        var decision = Handle(ledger, 1, ConnectorStatus.Available, "GroundFailure");

        decision.Change.Events().ShouldBe([Changed(1, ConnectorStatus.Available, "GroundFailure")]);
    }

    [Fact]
    public void info_change_on_the_same_status_is_recorded()
    {
        var ledger = Scenario.ChargePoint(Scenario.StatusChanged(1, ConnectorStatus.Available));

        var decision = Handle(ledger, 1, ConnectorStatus.Available, info: "door open");

        decision.Change.Events().ShouldBe([Changed(1, ConnectorStatus.Available, info: "door open")]);
    }

    [Fact]
    public void unexpected_transition_is_recorded_and_flagged_never_refused()
    {
        var ledger = Scenario.ChargePoint(Scenario.StatusChanged(1, ConnectorStatus.Available));

        var decision = Handle(ledger, 1, ConnectorStatus.Finishing);

        decision.Result.ShouldBeTrue();
        decision.Change.SingleAppend().Events.ShouldBe(
        [
            Changed(1, ConnectorStatus.Finishing),
            new ConnectorTransitionFlagged(Scenario.ChargePointId, 1, ConnectorStatus.Available, ConnectorStatus.Finishing, DeviceTime),
        ]);
    }

    [Theory]
    [InlineData(ConnectorStatus.Preparing)]
    [InlineData(ConnectorStatus.Charging)]
    [InlineData(ConnectorStatus.Reserved)]
    public void connector_zero_reporting_a_connector_only_status_is_flagged_even_as_a_first_report(ConnectorStatus status)
    {
        var decision = Handle(Scenario.ChargePoint(), 0, status);

        decision.Change.Events().ShouldBe(
        [
            Changed(0, status),
            new ConnectorTransitionFlagged(Scenario.ChargePointId, 0, null, status, DeviceTime),
        ]);
    }

    [Fact]
    public void connector_zero_unavailable_is_not_flagged()
    {
        var decision = Handle(Scenario.ChargePoint(Scenario.StatusChanged(0, ConnectorStatus.Available)), 0, ConnectorStatus.Unavailable);

        decision.Change.Events().ShouldBe([Changed(0, ConnectorStatus.Unavailable)]);
    }

    [Fact]
    public void device_timestamp_is_kept_beside_the_receipt_time()
    {
        var deviceTime = Scenario.Now.AddMinutes(-42);

        var decision = Handle(Scenario.ChargePoint(), 1, ConnectorStatus.Available, timestamp: deviceTime);

        var changed = decision.Change.Events().ShouldHaveSingleItem().ShouldBeOfType<ConnectorStatusChanged>();
        changed.StatusAt.ShouldBe(deviceTime);
        changed.ReceivedAt.ShouldBe(Scenario.Now);
    }

    [Fact]
    public void receipt_time_is_used_when_the_charge_point_sends_no_timestamp()
    {
        var command = new RecordStatusNotification(Scenario.ChargePoint(Scenario.StatusChanged(1, ConnectorStatus.Available)), 1,
            ConnectorStatus.Finishing, "NoError", null, null, null, null);

        var decision = RecordStatusNotificationHandler.Handle(command, Scenario.Clock());

        decision.Change.Events().ShouldBe(
        [
            new ConnectorStatusChanged(Scenario.ChargePointId, 1, ConnectorStatus.Finishing, "NoError", null, null, null, Scenario.Now, Scenario.Now),
            new ConnectorTransitionFlagged(Scenario.ChargePointId, 1, ConnectorStatus.Available, ConnectorStatus.Finishing, Scenario.Now),
        ]);
    }

    [Fact]
    public void the_recorded_status_becomes_the_connectors_state_when_applied()
    {
        var ledger = Scenario.ChargePoint();
        var decision = Handle(ledger, 1, ConnectorStatus.Charging);

        ledger.Apply(decision.Change, CommitReceipt.Empty);

        ledger.ChargePoint.StatusOf(1).ShouldBe(ConnectorStatus.Charging);
        ledger.ChargePoint.Connectors[1].Since.ShouldBe(DeviceTime);
        Handle(ledger, 1, ConnectorStatus.Charging).Change.IsEmpty.ShouldBeTrue();
    }
}
