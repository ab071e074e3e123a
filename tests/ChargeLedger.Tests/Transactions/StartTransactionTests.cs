using ChargeLedger.IdTags;
using ChargeLedger.Ledger;
using ChargeLedger.Transactions;

namespace ChargeLedger.Tests.Transactions;

public class StartTransactionTests
{
    private static readonly DateTimeOffset DeviceTime = Scenario.Now.AddSeconds(-3);

    private static readonly IdTag ValidTag = IdTag.Fold([new IdTagIssued(Scenario.TagId, null, "FLEET-7", Scenario.Now.AddDays(-30))])!;

    private static StartTransaction Start(ChargePointLedger ledger, int connectorId = 1, string idTag = Scenario.TagId) =>
        new(ledger, connectorId, idTag, 12_345, DeviceTime, 9);

    private static TransactionStarted StartedAs(int ocppId, string idTagStatus, int connectorId = 1, string idTag = Scenario.TagId) =>
        new($"CP-1:{ocppId}", ocppId, Scenario.ChargePointId, Scenario.StationId, connectorId, idTag, idTagStatus, 12_345, 9, DeviceTime,
            Scenario.Now);

    [Fact]
    public void replay_returns_the_earlier_transaction_id_and_writes_nothing()
    {
        var earlier = new TransactionStartKey { Id = "k", TransactionId = "CP-1:41", OcppTransactionId = 41, IdTagStatus = "Accepted" };

        var decision = StartTransactionHandler.Handle(Start(Scenario.ChargePoint()), new StartTransactionContext(earlier, ValidTag, 0),
            Scenario.Clock());

        decision.Result.TransactionId.ShouldBe(41);
        decision.Result.IdTagInfo.Status.ShouldBe(AuthorizationStatus.Accepted);
        decision.Change.ShouldBe(LedgerChange.None);
    }

    [Fact]
    public void new_start_records_transaction_started_as_the_genesis_of_its_own_chained_stream()
    {
        var decision = StartTransactionHandler.Handle(Start(Scenario.ChargePoint()), new StartTransactionContext(null, ValidTag, 42),
            Scenario.Clock());

        decision.Result.ShouldBe(new StartTransactionResult(42, new Authorization(AuthorizationStatus.Accepted, null, "FLEET-7")));
        var append = decision.Change.SingleAppend();
        append.StreamKey.ShouldBe("transaction:CP-1:42");
        append.ExpectedVersion.ShouldBe(0);
        append.PreviousHash.ShouldBe("");
        append.Chained.ShouldBeTrue();
        append.Events.ShouldBe([StartedAs(42, "Accepted")]);
        decision.Change.ClosedTransactions.ShouldBeEmpty();
    }

    [Fact]
    public void new_start_inserts_the_idempotency_key_and_the_open_transaction_index()
    {
        var decision = StartTransactionHandler.Handle(Start(Scenario.ChargePoint()), new StartTransactionContext(null, ValidTag, 42),
            Scenario.Clock());

        decision.Change.Inserts.Count.ShouldBe(2);
        var key = decision.Change.Inserts[0].ShouldBeOfType<TransactionStartKey>();
        key.Id.ShouldBe(TransactionStartKey.For("CP-1", 1, "tag-1", DeviceTime, 12_345));
        key.Id.ShouldBe($"CP-1|1|TAG-1|{DeviceTime.UtcTicks}|12345");
        key.TransactionId.ShouldBe("CP-1:42");
        key.OcppTransactionId.ShouldBe(42);
        key.IdTagStatus.ShouldBe("Accepted");
        var index = decision.Change.Inserts[1].ShouldBeOfType<OpenTransactionIndex>();
        index.Id.ShouldBe("CP-1:42");
        index.ChargePointId.ShouldBe("CP-1");
        index.OcppTransactionId.ShouldBe(42);
    }

    [Fact]
    public void unknown_tag_is_answered_invalid_and_the_transaction_is_still_recorded()
    {
        var decision = StartTransactionHandler.Handle(Start(Scenario.ChargePoint(), idTag: "NOBODY"), new StartTransactionContext(null, null, 43),
            Scenario.Clock());

        decision.Result.ShouldBe(new StartTransactionResult(43, new Authorization(AuthorizationStatus.Invalid, null, null)));
        decision.Change.Events().ShouldBe([StartedAs(43, "Invalid", idTag: "NOBODY")]);
        decision.Change.Inserts.OfType<TransactionStartKey>().Single().IdTagStatus.ShouldBe("Invalid");
    }

    [Fact]
    public void blocked_tag_is_answered_blocked_and_the_transaction_is_still_recorded()
    {
        var blocked = ValidTag.Apply(new IdTagBlocked(Scenario.TagId, Scenario.Now.AddDays(-1)));

        var decision = StartTransactionHandler.Handle(Start(Scenario.ChargePoint()), new StartTransactionContext(null, blocked, 44),
            Scenario.Clock());

        decision.Result.TransactionId.ShouldBe(44);
        decision.Result.IdTagInfo.Status.ShouldBe(AuthorizationStatus.Blocked);
        decision.Change.Events().ShouldBe([StartedAs(44, "Blocked")]);
    }

    [Fact]
    public void open_transaction_on_the_same_connector_is_superseded_on_its_own_stream_and_closed()
    {
        var previous = Scenario.Transaction("hash-of-v2", Scenario.Started(40), Scenario.Recorded(40, Scenario.Register(Scenario.Now.AddMinutes(-10), "1500")));
        var ledger = Scenario.WithOpenTransaction(previous);

        var decision = StartTransactionHandler.Handle(Start(ledger), new StartTransactionContext(null, ValidTag, 42), Scenario.Clock());

        decision.Change.Appends.Count.ShouldBe(2);
        decision.Change.Appends[0].Events.ShouldBe([StartedAs(42, "Accepted")]);
        var superseded = decision.Change.Appends[1];
        superseded.StreamKey.ShouldBe("transaction:CP-1:40");
        superseded.ExpectedVersion.ShouldBe(2);
        superseded.PreviousHash.ShouldBe("hash-of-v2");
        superseded.Events.ShouldBe(
        [
            new TransactionAnomalyDetected("CP-1:40", Scenario.ChargePointId, TransactionAnomaly.SupersededWithoutStop,
                "Transaction 42 started on connector 1 before this one was stopped", Scenario.Now),
        ]);
        decision.Change.ClosedTransactions.ShouldBe(["CP-1:40"]);
    }

    [Fact]
    public void open_transaction_on_another_connector_is_left_alone()
    {
        var ledger = Scenario.WithOpenTransaction(Scenario.Transaction("h", Scenario.Started(40, connectorId: 2)));

        var decision = StartTransactionHandler.Handle(Start(ledger), new StartTransactionContext(null, ValidTag, 42), Scenario.Clock());

        decision.Change.SingleAppend().StreamKey.ShouldBe("transaction:CP-1:42");
        decision.Change.ClosedTransactions.ShouldBeEmpty();
    }
}
