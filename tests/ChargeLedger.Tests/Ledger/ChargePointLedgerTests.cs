using ChargeLedger.ChargePoints;
using ChargeLedger.IdTags;
using ChargeLedger.Ledger;
using ChargeLedger.Transactions;

namespace ChargeLedger.Tests.Ledger;

public class ChargePointLedgerTests
{
    private static readonly IdTag Tag = IdTag.Fold([new IdTagIssued(Scenario.TagId, null, null, Scenario.Now.AddDays(-1))])!;

    private static CommitReceipt Receipt(string streamKey, string lastHash) => new(new Dictionary<string, string> { [streamKey] = lastHash });

    private static Decision<StartTransactionResult> Start(ChargePointLedger ledger, int newId, int connectorId = 1) =>
        StartTransactionHandler.Handle(new StartTransaction(ledger, connectorId, Scenario.TagId, 100, Scenario.Now.AddMinutes(-1), null),
            new StartTransactionContext(null, Tag, newId), Scenario.Clock());

    [Fact]
    public void apply_after_start_opens_the_transaction_with_the_receipts_last_hash()
    {
        var ledger = Scenario.ChargePoint();

        ledger.Apply(Start(ledger, 5).Change, Receipt("transaction:CP-1:5", "abc123"));

        var entry = ledger.OpenTransaction(5).ShouldNotBeNull();
        entry.LastHash.ShouldBe("abc123");
        entry.State.Id.ShouldBe("CP-1:5");
        entry.State.ConnectorId.ShouldBe(1);
        entry.State.MeterStartWh.ShouldBe(100);
        entry.State.LastRegisterWh.ShouldBe(100);
        entry.State.Version.ShouldBe(1);
        entry.State.IsOpen.ShouldBeTrue();
        ledger.OpenTransactionOnConnector(1).ShouldBe(entry);
        ledger.OpenTransactionOnConnector(2).ShouldBeNull();
    }

    [Fact]
    public void apply_after_stop_no_longer_holds_the_transaction_open()
    {
        var ledger = Scenario.ChargePoint();
        ledger.Apply(Start(ledger, 5).Change, Receipt("transaction:CP-1:5", "h1"));

        var stop = StopTransactionHandler.Handle(new StopTransaction(ledger, 5, null, 900, Scenario.Now, null, []),
            new StopTransactionContext(null, null), Scenario.Clock());
        stop.Change.SingleAppend().PreviousHash.ShouldBe("h1");
        ledger.Apply(stop.Change, Receipt("transaction:CP-1:5", "h2"));

        ledger.OpenTransaction(5).ShouldBeNull();
        ledger.OpenTransactionOnConnector(1).ShouldBeNull();
        ledger.OpenTransactions.ShouldBeEmpty();
    }

    [Fact]
    public void meter_values_advance_the_open_transaction_and_its_last_hash()
    {
        var ledger = Scenario.ChargePoint();
        ledger.Apply(Start(ledger, 5).Change, Receipt("transaction:CP-1:5", "h1"));
        var values = RecordMeterValuesHandler.Handle(new RecordMeterValues(ledger, 1, 5, [Scenario.Register(Scenario.Now, "400")]),
            new ClosedTransactionLookup(null), Scenario.Clock());

        ledger.Apply(values.Change, Receipt("transaction:CP-1:5", "h2"));

        var entry = ledger.OpenTransaction(5).ShouldNotBeNull();
        entry.LastHash.ShouldBe("h2");
        entry.State.Version.ShouldBe(2);
        entry.State.LastRegisterWh.ShouldBe(400);
    }

    [Fact]
    public void a_superseding_start_closes_the_old_transaction_and_opens_the_new_one()
    {
        var ledger = Scenario.ChargePoint();
        ledger.Apply(Start(ledger, 5).Change, Receipt("transaction:CP-1:5", "h1"));

        var second = Start(ledger, 6);
        ledger.Apply(second.Change, new CommitReceipt(new Dictionary<string, string>
        {
            ["transaction:CP-1:5"] = "h5-2",
            ["transaction:CP-1:6"] = "h6-1",
        }));

        ledger.OpenTransaction(5).ShouldBeNull();
        ledger.OpenTransaction(6).ShouldNotBeNull().LastHash.ShouldBe("h6-1");
        ledger.OpenTransactionOnConnector(1).ShouldNotBeNull().State.OcppTransactionId.ShouldBe(6);
    }

    [Fact]
    public void charge_point_version_advances_by_the_number_of_events_appended()
    {
        var ledger = Scenario.ChargePoint(new ChargePointConnected(Scenario.ChargePointId, "c1", null, Scenario.Now));
        ledger.ChargePoint.Version.ShouldBe(2);
        var twoEvents = RecordStatusNotificationHandler.Handle(
            new RecordStatusNotification(ledger, 0, ConnectorStatus.Charging, "NoError", null, null, null, Scenario.Now), Scenario.Clock());
        twoEvents.Change.Events().Count.ShouldBe(2);

        ledger.Apply(twoEvents.Change, CommitReceipt.Empty);

        ledger.ChargePoint.Version.ShouldBe(4);
        ledger.ChargePoint.StatusOf(0).ShouldBe(ConnectorStatus.Charging);
    }

    [Fact]
    public void events_the_charge_point_does_not_fold_still_advance_its_version()
    {
        var ledger = Scenario.ChargePoint();

        ledger.Apply(LedgerChange.Append(ledger.StreamKey, 1, new FirmwareStatusChanged(Scenario.ChargePointId, "Installed", Scenario.Now),
            new DiagnosticsStatusChanged(Scenario.ChargePointId, "Uploaded", Scenario.Now)), CommitReceipt.Empty);

        ledger.ChargePoint.Version.ShouldBe(3);
    }

    [Fact]
    public void appends_to_other_charge_points_streams_are_ignored()
    {
        var ledger = Scenario.ChargePoint();

        ledger.Apply(LedgerChange.Append("chargepoint:CP-2", 1, new DataTransferReceived("CP-2", "v", null, null, Scenario.Now)), CommitReceipt.Empty);

        ledger.ChargePoint.Version.ShouldBe(1);
    }

    [Fact]
    public void reset_replaces_the_charge_point_and_its_open_transactions()
    {
        var ledger = Scenario.WithOpenTransaction(Scenario.Transaction("old", Scenario.Started(5)));
        var fresh = Scenario.WithOpenTransaction(Scenario.Transaction("new", Scenario.Started(6)), Scenario.StatusChanged(1, ConnectorStatus.Charging));

        ledger.Reset(fresh);

        ledger.ChargePoint.ShouldBe(fresh.ChargePoint);
        ledger.OpenTransaction(5).ShouldBeNull();
        ledger.OpenTransaction(6).ShouldNotBeNull().LastHash.ShouldBe("new");
    }

    [Fact]
    public void starts_may_be_unknown_until_the_ledger_commits_one_and_again_after_a_reload()
    {
        var ledger = Scenario.ChargePoint();
        ledger.StartsMayBeUnknown.ShouldBeTrue();

        var start = Start(ledger, 5);
        ledger.Apply(start.Change, Receipt("transaction:CP-1:5", "h1"));

        ledger.StartsMayBeUnknown.ShouldBeFalse();
        var key = start.Change.Inserts.OfType<TransactionStartKey>().ShouldHaveSingleItem();
        ledger.RecentStart(key.Id).ShouldBe(key);
        ledger.Reset(Scenario.ChargePoint());
        ledger.StartsMayBeUnknown.ShouldBeTrue();
    }

    [Fact]
    public void only_the_last_sixteen_starts_are_remembered()
    {
        var ledger = Scenario.ChargePoint();
        var keys = new List<string>();
        for (var i = 1; i <= 17; i++)
        {
            var start = StartTransactionHandler.Handle(
                new StartTransaction(ledger, 1, Scenario.TagId, 100 * i, Scenario.Now.AddMinutes(-i), null),
                new StartTransactionContext(null, Tag, i), Scenario.Clock());
            ledger.Apply(start.Change, Receipt($"transaction:CP-1:{i}", $"h{i}"));
            keys.Add(start.Change.Inserts.OfType<TransactionStartKey>().Single().Id);
        }

        ledger.RecentStart(keys[0]).ShouldBeNull();
        keys.Skip(1).ShouldAllBe(k => ledger.RecentStart(k) != null);
    }
}
