using ChargeLedger.ChargePoints;
using ChargeLedger.Ledger;

namespace ChargeLedger.Tests.ChargePoints;

public class RecordDataTransferTests
{
    [Fact]
    public void answers_unknown_vendor_id_and_keeps_the_message()
    {
        var ledger = Scenario.ChargePoint();

        var decision = RecordDataTransferHandler.Handle(new RecordDataTransfer(ledger, "com.acme", "diag", "{\"t\":41.5}"), Scenario.Clock());

        decision.Result.ShouldBe(DataTransferStatus.UnknownVendorId);
        var append = decision.Change.SingleAppend();
        append.StreamKey.ShouldBe("chargepoint:CP-1");
        append.ExpectedVersion.ShouldBe(1);
        append.Events.ShouldBe([new DataTransferReceived(Scenario.ChargePointId, "com.acme", "diag", "{\"t\":41.5}", Scenario.Now)]);
    }

    [Fact]
    public void message_id_and_data_are_optional()
    {
        var decision = RecordDataTransferHandler.Handle(new RecordDataTransfer(Scenario.ChargePoint(), "com.acme", null, null), Scenario.Clock());

        decision.Result.ShouldBe(DataTransferStatus.UnknownVendorId);
        decision.Change.Events().ShouldBe([new DataTransferReceived(Scenario.ChargePointId, "com.acme", null, null, Scenario.Now)]);
    }

    [Fact]
    public void data_transfer_advances_only_the_charge_point_version()
    {
        var ledger = Scenario.ChargePoint();
        var before = ledger.ChargePoint;

        ledger.Apply(RecordDataTransferHandler.Handle(new RecordDataTransfer(ledger, "v", null, null), Scenario.Clock()).Change, CommitReceipt.Empty);

        ledger.ChargePoint.ShouldBe(before with { Version = 2 });
    }
}
