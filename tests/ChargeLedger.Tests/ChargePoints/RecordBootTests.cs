using ChargeLedger.ChargePoints;
using ChargeLedger.Ledger;

namespace ChargeLedger.Tests.ChargePoints;

public class RecordBootTests
{
    private static RecordBoot Boot(ChargePointLedger ledger, string firmware = "1.2.3") =>
        new(ledger, "ACME", "Volt-22", "SN-1", "CB-1", firmware, "ICCID", "IMSI", "MT-9", "MSN-9");

    [Fact]
    public void boot_is_accepted_with_the_server_time_and_records_charge_point_booted()
    {
        var ledger = Scenario.ChargePoint(new ChargePointConnected(Scenario.ChargePointId, "c1", "10.0.0.1", Scenario.Now.AddMinutes(-1)));

        var decision = RecordBootHandler.Handle(Boot(ledger), Scenario.Clock());

        decision.Result.ShouldBe(new BootResult(RegistrationStatus.Accepted, Scenario.Now));
        var append = decision.Change.SingleAppend();
        append.StreamKey.ShouldBe("chargepoint:CP-1");
        append.ExpectedVersion.ShouldBe(2);
        append.Events.ShouldBe(
        [
            new ChargePointBooted(Scenario.ChargePointId, "ACME", "Volt-22", "SN-1", "CB-1", "1.2.3", "ICCID", "IMSI", "MT-9", "MSN-9", Scenario.Now),
        ]);
    }

    [Fact]
    public void every_boot_is_kept_even_when_nothing_changed()
    {
        var ledger = Scenario.ChargePoint();
        var first = RecordBootHandler.Handle(Boot(ledger), Scenario.Clock());
        ledger.Apply(first.Change, CommitReceipt.Empty);

        var second = RecordBootHandler.Handle(Boot(ledger), Scenario.Clock());

        second.Change.SingleAppend().ExpectedVersion.ShouldBe(2);
        second.Change.Events().ShouldHaveSingleItem().ShouldBeOfType<ChargePointBooted>();
    }

    [Fact]
    public void applying_a_boot_keeps_vendor_model_and_firmware()
    {
        var ledger = Scenario.ChargePoint();

        ledger.Apply(RecordBootHandler.Handle(Boot(ledger, "2.0.0"), Scenario.Clock()).Change, CommitReceipt.Empty);

        ledger.ChargePoint.ShouldSatisfyAllConditions(
            cp => cp.Vendor.ShouldBe("ACME"),
            cp => cp.Model.ShouldBe("Volt-22"),
            cp => cp.FirmwareVersion.ShouldBe("2.0.0"),
            cp => cp.BootedAt.ShouldBe(Scenario.Now),
            cp => cp.Version.ShouldBe(2));
    }
}
