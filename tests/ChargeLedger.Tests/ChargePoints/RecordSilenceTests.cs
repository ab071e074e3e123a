using ChargeLedger.ChargePoints;
using ChargeLedger.Ledger;

namespace ChargeLedger.Tests.ChargePoints;

public class RecordSilenceTests
{
    private static readonly DateTimeOffset LastHeard = Scenario.Now.AddMinutes(-10);

    private static ChargePointConnected Connected(string connectionId) =>
        new(Scenario.ChargePointId, connectionId, "10.0.0.1", Scenario.Now.AddHours(-1));

    private static ChargePointWentSilent WentSilent(string connectionId) =>
        new(Scenario.ChargePointId, connectionId, LastHeard, Scenario.Now.AddSeconds(-5));

    [Fact]
    public void a_silent_current_connection_records_went_silent_with_the_last_heard_and_detection_times()
    {
        var ledger = Scenario.ChargePoint(Connected("c1"));

        var decision = RecordWentSilentHandler.Handle(new RecordWentSilent(ledger, "c1", LastHeard), Scenario.Clock());

        decision.Result.ShouldBeTrue();
        var append = decision.Change.SingleAppend();
        append.StreamKey.ShouldBe("chargepoint:CP-1");
        append.ExpectedVersion.ShouldBe(2);
        append.Events.ShouldBe([new ChargePointWentSilent(Scenario.ChargePointId, "c1", LastHeard, Scenario.Now)]);

        ledger.Apply(decision.Change, CommitReceipt.Empty);
        ledger.ChargePoint.SilentSince.ShouldBe(LastHeard);
    }

    [Fact]
    public void a_silence_is_recorded_once_however_often_the_watchdog_looks()
    {
        var ledger = Scenario.ChargePoint(Connected("c1"), WentSilent("c1"));

        var decision = RecordWentSilentHandler.Handle(new RecordWentSilent(ledger, "c1", LastHeard), Scenario.Clock());

        decision.Result.ShouldBeFalse();
        decision.Change.IsEmpty.ShouldBeTrue();
    }

    [Fact]
    public void a_replaced_connection_going_silent_records_nothing()
    {
        var ledger = Scenario.ChargePoint(Connected("c1"), new ChargePointConnectionReplaced(Scenario.ChargePointId, "c1", "c2", Scenario.Now));

        RecordWentSilentHandler.Handle(new RecordWentSilent(ledger, "c1", LastHeard), Scenario.Clock()).Change.IsEmpty.ShouldBeTrue();
    }

    [Fact]
    public void hearing_a_silent_connection_again_ends_the_silence_once()
    {
        var ledger = Scenario.ChargePoint(Connected("c1"), WentSilent("c1"));
        var heardAt = Scenario.Now.AddSeconds(30);

        var decision = RecordHeardAgainHandler.Handle(new RecordHeardAgain(ledger, "c1", heardAt));

        decision.Result.ShouldBeTrue();
        decision.Change.SingleAppend().ExpectedVersion.ShouldBe(3);
        decision.Change.Events().ShouldBe([new ChargePointHeardAgain(Scenario.ChargePointId, "c1", LastHeard, heardAt)]);
        ledger.Apply(decision.Change, CommitReceipt.Empty);
        ledger.ChargePoint.SilentSince.ShouldBeNull();
        RecordHeardAgainHandler.Handle(new RecordHeardAgain(ledger, "c1", heardAt)).Change.IsEmpty.ShouldBeTrue();
    }

    [Fact]
    public void hearing_a_connection_that_was_not_silent_records_nothing()
    {
        var ledger = Scenario.ChargePoint(Connected("c1"));

        RecordHeardAgainHandler.Handle(new RecordHeardAgain(ledger, "c1", Scenario.Now)).Change.IsEmpty.ShouldBeTrue();
    }

    [Theory]
    [InlineData("disconnected")]
    [InlineData("reconnected")]
    [InlineData("replaced")]
    public void a_new_or_lost_connection_ends_the_silence_in_the_aggregate(string how)
    {
        object ending = how switch
        {
            "disconnected" => new ChargePointDisconnected(Scenario.ChargePointId, "c1", "Idle timeout", Scenario.Now),
            "reconnected" => new ChargePointConnected(Scenario.ChargePointId, "c2", null, Scenario.Now),
            _ => new ChargePointConnectionReplaced(Scenario.ChargePointId, "c1", "c2", Scenario.Now),
        };

        var state = ChargePoint.Fold([Scenario.Registered(), Connected("c1"), WentSilent("c1"), ending])!;

        state.SilentSince.ShouldBeNull();
        state.Version.ShouldBe(4);
    }

    [Fact]
    public void a_stale_silence_event_of_an_old_connection_does_not_mark_the_new_one_silent()
    {
        var state = ChargePoint.Fold([Scenario.Registered(), Connected("c1"),
            new ChargePointConnectionReplaced(Scenario.ChargePointId, "c1", "c2", Scenario.Now), WentSilent("c1")])!;

        state.SilentSince.ShouldBeNull();
        state.ConnectionId.ShouldBe("c2");
    }
}
