using ChargeLedger.ChargePoints;
using ChargeLedger.Ledger;

namespace ChargeLedger.Tests.ChargePoints;

public class RecordConnectionTests
{
    private static ChargePointConnected Connected(string connectionId) =>
        new(Scenario.ChargePointId, connectionId, "10.0.0.1", Scenario.Now.AddHours(-1));

    [Fact]
    public void connect_records_charge_point_connected()
    {
        var ledger = Scenario.ChargePoint();

        var decision = RecordConnectedHandler.Handle(new RecordConnected(ledger, "c1", "10.0.0.7", null), Scenario.Clock());

        decision.Result.ShouldBeTrue();
        var append = decision.Change.SingleAppend();
        append.StreamKey.ShouldBe("chargepoint:CP-1");
        append.ExpectedVersion.ShouldBe(1);
        append.Events.ShouldBe([new ChargePointConnected(Scenario.ChargePointId, "c1", "10.0.0.7", Scenario.Now)]);

        ledger.Apply(decision.Change, CommitReceipt.Empty);
        ledger.ChargePoint.Connected.ShouldBeTrue();
        ledger.ChargePoint.ConnectionId.ShouldBe("c1");
    }

    [Fact]
    public void a_connection_taking_over_records_connection_replaced_instead_of_connected()
    {
        var ledger = Scenario.ChargePoint(Connected("c1"));

        var decision = RecordConnectedHandler.Handle(new RecordConnected(ledger, "c2", "10.0.0.8", "c1"), Scenario.Clock());

        decision.Change.SingleAppend().ExpectedVersion.ShouldBe(2);
        decision.Change.Events().ShouldBe([new ChargePointConnectionReplaced(Scenario.ChargePointId, "c1", "c2", Scenario.Now)]);

        ledger.Apply(decision.Change, CommitReceipt.Empty);
        ledger.ChargePoint.ConnectionId.ShouldBe("c2");
        ledger.ChargePoint.Connected.ShouldBeTrue();
    }

    [Fact]
    public void the_current_connection_reported_again_records_nothing()
    {
        var ledger = Scenario.ChargePoint(Connected("emqx:1700000000000"));

        var decision = RecordConnectedHandler.Handle(new RecordConnected(ledger, "emqx:1700000000000", "10.0.0.8", null), Scenario.Clock());

        decision.Result.ShouldBeFalse();
        decision.Change.Events().ShouldBeEmpty();
    }

    [Fact]
    public void disconnect_of_the_current_connection_records_charge_point_disconnected()
    {
        var ledger = Scenario.ChargePoint(Connected("c1"));

        var decision = RecordDisconnectedHandler.Handle(new RecordDisconnected(ledger, "c1", "ping timeout"), Scenario.Clock());

        decision.Result.ShouldBeTrue();
        decision.Change.SingleAppend().ExpectedVersion.ShouldBe(2);
        decision.Change.Events().ShouldBe([new ChargePointDisconnected(Scenario.ChargePointId, "c1", "ping timeout", Scenario.Now)]);

        ledger.Apply(decision.Change, CommitReceipt.Empty);
        ledger.ChargePoint.Connected.ShouldBeFalse();
        ledger.ChargePoint.ConnectionId.ShouldBeNull();
    }

    [Fact]
    public void disconnect_of_a_replaced_connection_records_nothing_and_leaves_the_charge_point_connected()
    {
        var ledger = Scenario.ChargePoint(Connected("c1"), new ChargePointConnectionReplaced(Scenario.ChargePointId, "c1", "c2", Scenario.Now));

        var decision = RecordDisconnectedHandler.Handle(new RecordDisconnected(ledger, "c1", "closed"), Scenario.Clock());

        decision.Result.ShouldBeFalse();
        decision.Change.IsEmpty.ShouldBeTrue();
        ledger.ChargePoint.ConnectionId.ShouldBe("c2");
        ledger.ChargePoint.Connected.ShouldBeTrue();
    }

    [Fact]
    public void a_stale_disconnected_event_does_not_disconnect_the_newer_connection_when_folded()
    {
        var state = ChargePoint.Fold(
        [
            Scenario.Registered(),
            Connected("c1"),
            new ChargePointConnectionReplaced(Scenario.ChargePointId, "c1", "c2", Scenario.Now),
            new ChargePointDisconnected(Scenario.ChargePointId, "c1", "closed", Scenario.Now),
        ])!;

        state.Connected.ShouldBeTrue();
        state.ConnectionId.ShouldBe("c2");
        state.Version.ShouldBe(4);
    }
}
