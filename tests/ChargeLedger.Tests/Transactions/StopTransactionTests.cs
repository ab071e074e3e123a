using ChargeLedger.ChargePoints;
using ChargeLedger.IdTags;
using ChargeLedger.Ledger;
using ChargeLedger.Transactions;

namespace ChargeLedger.Tests.Transactions;

public class StopTransactionTests
{
    private static readonly DateTimeOffset StartedAt = Scenario.Now.AddMinutes(-30);
    private static readonly DateTimeOffset StoppedAt = Scenario.Now.AddSeconds(-2);
    private static readonly IdTag ValidTag = IdTag.Fold([new IdTagIssued(Scenario.TagId, null, null, Scenario.Now.AddDays(-30))])!;

    /// <summary>Transaction 7 on connector 2, meterStart 1,000 Wh, last register 4,000 Wh.</summary>
    private static TransactionEntry Open() =>
        Scenario.Transaction("h2", Scenario.Started(7, connectorId: 2, meterStartWh: 1_000, startedAt: StartedAt),
            Scenario.Recorded(7, Scenario.Register(Scenario.Now.AddMinutes(-5), "4000")));

    private static StopTransaction Stop(ChargePointLedger ledger, long meterStopWh, string? reason = null, string? idTag = null,
        IReadOnlyList<MeterSample>? data = null, int transactionId = 7) =>
        new(ledger, transactionId, idTag, meterStopWh, StoppedAt, reason, data ?? []);

    private static Decision<StopTransactionResult> Handle(StopTransaction command, TransactionEntry? closed = null, IdTag? tag = null) =>
        StopTransactionHandler.Handle(command, new StopTransactionContext(closed, tag), Scenario.Clock());

    [Fact]
    public void normal_stop_records_energy_as_stop_minus_start_and_closes_the_transaction()
    {
        var ledger = Scenario.WithOpenTransaction(Open());
        MeterSample[] data = [Scenario.Register(StartedAt, "1000"), Scenario.Register(StoppedAt, "5250")];

        var decision = Handle(Stop(ledger, 5_250, "EVDisconnected", data: data));

        decision.Result.ShouldBe(new StopTransactionResult(null));
        var append = decision.Change.SingleAppend();
        append.StreamKey.ShouldBe("transaction:CP-1:7");
        append.ExpectedVersion.ShouldBe(2);
        append.PreviousHash.ShouldBe("h2");
        var stopped = append.Events.ShouldHaveSingleItem().ShouldBeOfType<TransactionStopped>();
        stopped.ShouldBe(new TransactionStopped("CP-1:7", Scenario.ChargePointId, 2, 5_250, 4_250, "EVDisconnected", null, data, StoppedAt, Scenario.Now));
        decision.Change.ClosedTransactions.ShouldBe(["CP-1:7"]);
        decision.Change.Inserts.ShouldBeEmpty();
    }

    [Fact]
    public void absent_reason_defaults_to_local()
    {
        var decision = Handle(Stop(Scenario.WithOpenTransaction(Open()), 5_000));

        decision.Change.Events().ShouldHaveSingleItem().ShouldBeOfType<TransactionStopped>().Reason.ShouldBe("Local");
    }

    [Fact]
    public void applying_the_stop_removes_the_transaction_from_the_open_ones()
    {
        var ledger = Scenario.WithOpenTransaction(Open());

        ledger.Apply(Handle(Stop(ledger, 5_000)).Change, new CommitReceipt(new Dictionary<string, string> { ["transaction:CP-1:7"] = "h3" }));

        ledger.OpenTransaction(7).ShouldBeNull();
        ledger.OpenTransactions.ShouldBeEmpty();
    }

    [Fact]
    public void meter_stop_below_meter_start_bills_zero_and_is_flagged()
    {
        MeterSample[] data = [];
        var decision = Handle(Stop(Scenario.WithOpenTransaction(Open()), 900, data: data));

        decision.Change.Events().ShouldBe(
        [
            new TransactionStopped("CP-1:7", Scenario.ChargePointId, 2, 900, 0, "Local", null, data, StoppedAt, Scenario.Now),
            new TransactionAnomalyDetected("CP-1:7", Scenario.ChargePointId, TransactionAnomaly.MeterStopBelowMeterStart,
                "meterStop 900 Wh is below meterStart 1000 Wh; billed as 0 Wh", Scenario.Now),
        ]);
        decision.Change.ClosedTransactions.ShouldBe(["CP-1:7"]);
    }

    [Fact]
    public void meter_stop_below_the_last_reading_is_flagged_as_register_went_backwards()
    {
        var decision = Handle(Stop(Scenario.WithOpenTransaction(Open()), 3_999));

        var events = decision.Change.Events();
        events.Count.ShouldBe(2);
        events[0].ShouldBeOfType<TransactionStopped>().EnergyWh.ShouldBe(2_999);
        events[1].ShouldBe(new TransactionAnomalyDetected("CP-1:7", Scenario.ChargePointId, TransactionAnomaly.RegisterWentBackwards,
            "meterStop 3999 Wh is below the last reading 4000 Wh", Scenario.Now));
    }

    [Fact]
    public void transaction_data_after_the_stop_time_is_flagged_as_outside_the_transaction()
    {
        var decision = Handle(Stop(Scenario.WithOpenTransaction(Open()), 5_000, data: [Scenario.Register(StoppedAt.AddSeconds(1), "5000")]));

        var anomaly = decision.Change.Events()[1].ShouldBeOfType<TransactionAnomalyDetected>();
        anomaly.Kind.ShouldBe(TransactionAnomaly.ReadingOutsideTransaction);
        decision.Change.Events().Count.ShouldBe(2);
    }

    [Fact]
    public void a_second_stop_records_only_a_duplicate_stop_anomaly()
    {
        var closed = Scenario.Transaction("h3", Scenario.Started(7, connectorId: 2, startedAt: StartedAt), Scenario.Recorded(7),
            Scenario.Stopped(7, 5_000, StoppedAt, connectorId: 2));

        var decision = Handle(Stop(Scenario.ChargePoint(), 5_000, idTag: Scenario.TagId), closed, ValidTag);

        decision.Result.ShouldBe(new StopTransactionResult(new Authorization(AuthorizationStatus.Accepted, null, null)));
        var append = decision.Change.SingleAppend();
        append.StreamKey.ShouldBe("transaction:CP-1:7");
        append.ExpectedVersion.ShouldBe(3);
        append.PreviousHash.ShouldBe("h3");
        append.Events.ShouldBe(
        [
            new TransactionAnomalyDetected("CP-1:7", Scenario.ChargePointId, TransactionAnomaly.DuplicateStop,
                "Stop at 2025-03-01T11:59:58.0000000+00:00 with meterStop 5000 Wh after the transaction was stopped at 2025-03-01T11:59:58.0000000+00:00 with 5000 Wh",
                Scenario.Now),
        ]);
        decision.Change.ClosedTransactions.ShouldBeEmpty();
    }

    [Fact]
    public void stop_for_an_unknown_transaction_is_reported_on_the_charge_point_stream()
    {
        MeterSample[] data = [Scenario.Register(StoppedAt, "5000")];
        var ledger = Scenario.ChargePoint(Scenario.StatusChanged(1, ConnectorStatus.Finishing));

        var decision = Handle(Stop(ledger, 5_000, "Remote", "TAG-X", data, transactionId: -1));

        decision.Result.ShouldBe(new StopTransactionResult(new Authorization(AuthorizationStatus.Invalid, null, null)));
        var append = decision.Change.SingleAppend();
        append.StreamKey.ShouldBe("chargepoint:CP-1");
        append.ExpectedVersion.ShouldBe(2);
        append.Events.ShouldBe(
        [
            new UnknownTransactionReported(Scenario.ChargePointId, "StopTransaction", -1, null, 5_000, StoppedAt, "TAG-X", "Remote", data, Scenario.Now),
        ]);
        decision.Change.ClosedTransactions.ShouldBeEmpty();

        ledger.Apply(decision.Change, CommitReceipt.Empty);
        ledger.ChargePoint.UnknownTransactionReports.ShouldBe(1);
    }

    [Fact]
    public void id_tag_info_is_answered_only_when_the_stop_names_an_id_tag()
    {
        Handle(Stop(Scenario.WithOpenTransaction(Open()), 5_000), tag: ValidTag).Result.IdTagInfo.ShouldBeNull();

        var blocked = ValidTag.Apply(new IdTagBlocked(Scenario.TagId, Scenario.Now));
        var decision = Handle(Stop(Scenario.WithOpenTransaction(Open()), 5_000, idTag: Scenario.TagId), tag: blocked);
        decision.Result.IdTagInfo.ShouldBe(new Authorization(AuthorizationStatus.Blocked, null, null));
        decision.Change.Events().ShouldHaveSingleItem().ShouldBeOfType<TransactionStopped>().IdTag.ShouldBe(Scenario.TagId);
    }
}
