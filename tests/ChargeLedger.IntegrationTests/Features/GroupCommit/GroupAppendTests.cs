using ChargeLedger.Audit;
using ChargeLedger.ChargePoints;
using ChargeLedger.IntegrationTests.Features.Commands;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using ChargeLedger.Transactions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ChargeLedger.IntegrationTests.Features.GroupCommit;

/// <summary>
/// The group commit's set-based append (GroupAppend): one function call per batch writes exactly the rows Marten
/// writes, checks every stream's expected version before drawing a sequence number, and numbers any-version appends
/// after whatever the stream holds.
/// </summary>
[Collection(typeof(CommandCollection))]
public sealed class GroupAppendTests(PostgresServer server, LedgerHost host)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task one_batch_of_new_existing_any_version_and_chained_streams_reads_back_as_marten_wrote_it()
    {
        var chargePoint = await host.RegisteredChargePointAsync();
        var cpStream = StreamKeys.ChargePoint(chargePoint.Id);
        var cpVersion = await host.StreamVersionAsync(cpStream);
        var transaction = StreamKeys.Transaction(LedgerHost.NewId("TX"));
        var device = StreamKeys.Device(LedgerHost.NewId("DEV"));
        var now = new DateTimeOffset(2026, 12, 7, 3, 0, 0, TimeSpan.Zero);

        await using var writer = Writer(commitLoops: 1);
        var started = new TransactionStarted("t", 7, chargePoint.Id, "ST", 1, "TAG", "Accepted", 100, null, now, now);
        var status = new ConnectorStatusChanged(chargePoint.Id, 1, ConnectorStatus.Charging, "NoError", null, null, null, now, now);
        // One batch: the stream start (chained), an append to an existing stream, and two any-version appends to one stream.
        var receipts = await Task.WhenAll(writer.CommitAsOneBatch(
        [
            new LedgerChange([new StreamAppend(transaction, 0, [started, Meter(chargePoint.Id, 110, now)], "")], [], []),
            LedgerChange.Append(cpStream, cpVersion, status),
            LedgerChange.Append(device, StreamAppend.AnyVersion, Transfer(chargePoint.Id, "a"), Transfer(chargePoint.Id, "b")),
            LedgerChange.Append(device, StreamAppend.AnyVersion, Transfer(chargePoint.Id, "c")),
        ]));

        var events = await host.StreamAsync(transaction);
        events.Select(e => e.Version).ShouldBe([1L, 2L]);
        events[0].Data.ShouldBeOfType<TransactionStarted>().ShouldBe(started);
        events[0].EventTypeName.ShouldBe("transaction_started");
        (await DotNetTypeAsync(transaction)).ShouldBe("ChargeLedger.Transactions.TransactionStarted, ChargeLedger", "as Marten's own appends write it");
        receipts[0].LastHashes[transaction].ShouldBe(events[1].Headers![HashChain.HashHeader].ToString());
        var audit = await host.Services.GetRequiredService<AuditVerifier>().VerifyAsync(transaction, null, null, Token);
        audit.Intact.ShouldBeTrue();
        audit.Events.ShouldBe(2);

        (await host.StreamAsync(cpStream))[^1].Data.ShouldBe(status);
        (await host.StreamVersionAsync(cpStream)).ShouldBe(cpVersion + 1);

        var deviceEvents = await host.StreamAsync(device);
        deviceEvents.Select(e => ((DataTransferReceived)e.Data).MessageId).ShouldBe(["a", "b", "c"]);
        deviceEvents.Select(e => e.Version).ShouldBe([1L, 2L, 3L]);
        deviceEvents.Select(e => e.Sequence).ShouldBeInOrder(SortDirection.Ascending);
        (await host.StreamVersionAsync(device)).ShouldBe(3);

        // A later any-version append continues after what the stream holds.
        await writer.CommitAsync(LedgerChange.Append(device, StreamAppend.AnyVersion, Transfer(chargePoint.Id, "d")), Token);
        (await host.StreamAsync(device)).Select(e => e.Version).ShouldBe([1L, 2L, 3L, 4L]);
    }

    [Fact]
    public async Task a_stale_decision_fails_alone_and_its_batch_draws_no_sequence_number()
    {
        var stale = await host.RegisteredChargePointAsync();
        var fresh = await host.RegisteredChargePointAsync();
        var staleVersion = await host.StreamVersionAsync(StreamKeys.ChargePoint(stale.Id));
        await using var writer = Writer(commitLoops: 1);
        await writer.CommitAsync(LedgerChange.Append(StreamKeys.ChargePoint(stale.Id), staleVersion, Transfer(stale.Id, "moved on")), Token);
        var sequenceBefore = await SequenceAsync();

        // Both in one batch: the stale one makes the batch fail (before any nextval), then each is retried alone.
        var results = writer.CommitAsOneBatch(
        [
            LedgerChange.Append(StreamKeys.ChargePoint(stale.Id), staleVersion, Transfer(stale.Id, "stale")),
            LedgerChange.Append(StreamKeys.ChargePoint(fresh.Id), await host.StreamVersionAsync(StreamKeys.ChargePoint(fresh.Id)),
                Transfer(fresh.Id, "fresh")),
        ]);

        var conflict = await Should.ThrowAsync<StreamConflictException>(results[0]);
        LedgerPipeline.IsConflict(conflict).ShouldBeTrue();
        await results[1];
        var freshEvent = (await host.StreamAsync(StreamKeys.ChargePoint(fresh.Id)))[^1];
        freshEvent.Data.ShouldBeOfType<DataTransferReceived>().MessageId.ShouldBe("fresh");
        freshEvent.Sequence.ShouldBeGreaterThan(sequenceBefore);
        (await host.StreamAsync(StreamKeys.ChargePoint(stale.Id))).Count(e => e.Data is DataTransferReceived { MessageId: "stale" }).ShouldBe(0);
        // The fresh decision's retry drew its one number; the failed batch and the stale retry drew none, so every number
        // drawn since is an event row. The shared host's background writers (daemon subscriptions, sweepers) may draw
        // numbers meanwhile too: theirs become rows once committed, so the check waits, bounded, for any in flight. A
        // number drawn by a failed batch would be a gap for good.
        await Eventually.ReturnsAsync(() => NumbersWithoutRowsSinceAsync(sequenceBefore), gaps => gaps == 0,
            "every sequence number drawn since the batch belongs to an event", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task one_stale_decision_in_a_batch_of_64_fails_alone_in_a_few_commits_while_the_other_63_commit()
    {
        var stale = await host.RegisteredChargePointAsync();
        var staleVersion = await host.StreamVersionAsync(StreamKeys.ChargePoint(stale.Id));
        await using var writer = Writer(commitLoops: 1);
        await writer.CommitAsync(LedgerChange.Append(StreamKeys.ChargePoint(stale.Id), staleVersion, Transfer(stale.Id, "moved on")), Token);
        var now = DateTimeOffset.UtcNow;
        var fresh = Enumerable.Range(0, 63).Select(_ => StreamKeys.Transaction(LedgerHost.NewId("TX"))).ToList();
        List<LedgerChange> changes = [.. fresh.Select((stream, i) => LedgerChange.Append(stream, 0, Meter("CP", i, now)))];
        changes.Insert(41, LedgerChange.Append(StreamKeys.ChargePoint(stale.Id), staleVersion, Transfer(stale.Id, "stale")));
        var attemptsBefore = writer.Attempts;

        var results = writer.CommitAsOneBatch(changes);

        await Should.ThrowAsync<StreamConflictException>(results[41]);
        await Task.WhenAll(results.Where((_, i) => i != 41));
        // The failed batch, then two halves per level down to the stale one (6 levels for 64): 13 at most, where
        // committing the 64 one by one after the failure took 65.
        (writer.Attempts - attemptsBefore).ShouldBeLessThanOrEqualTo(13);
        foreach (var stream in fresh)
        {
            (await host.StreamAsync(stream)).Count.ShouldBe(1);
        }

        (await host.StreamAsync(StreamKeys.ChargePoint(stale.Id))).Count(e => e.Data is DataTransferReceived { MessageId: "stale" }).ShouldBe(0);
    }

    [Fact]
    public async Task starting_a_stream_that_exists_is_a_conflict()
    {
        var transaction = StreamKeys.Transaction(LedgerHost.NewId("TX"));
        var now = DateTimeOffset.UtcNow;
        await using var writer = Writer(commitLoops: 1);
        await writer.CommitAsync(LedgerChange.Append(transaction, 0, Meter("CP", 1, now)), Token);

        var again = await Should.ThrowAsync<StreamConflictException>(writer.CommitAsync(LedgerChange.Append(transaction, 0, Meter("CP", 2, now)), Token));

        LedgerPipeline.IsConflict(again).ShouldBeTrue();
        (await host.StreamAsync(transaction)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task concurrent_any_version_appends_to_one_stream_number_its_events_without_gaps()
    {
        var device = StreamKeys.Device(LedgerHost.NewId("DEV"));
        await using var writer = Writer(commitLoops: 4);

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            writer.CommitAsync(LedgerChange.Append(device, StreamAppend.AnyVersion, Transfer("CP", $"m{i}")), Token)));

        var events = await host.StreamAsync(device);
        events.Select(e => e.Version).ShouldBe(Enumerable.Range(1, 200).Select(v => (long)v));
        events.Select(e => e.Sequence).ShouldBeInOrder(SortDirection.Ascending);
        events.Select(e => ((DataTransferReceived)e.Data).MessageId).Distinct().Count().ShouldBe(200);
        (await host.StreamVersionAsync(device)).ShouldBe(200);
    }

    private LedgerWriter Writer(int commitLoops) =>
        new(host.Store, host.Services.GetRequiredService<LedgerConnections>(), Options.Create(new LedgerWriterOptions { CommitLoops = commitLoops }),
            NullLogger<LedgerWriter>.Instance);

    private Task<string> DotNetTypeAsync(string streamKey) =>
        server.ScalarAsSuperuserAsync<string>(host, "select mt_dotnet_type from chargeledger.mt_events where stream_id = $1 and version = 1", streamKey);

    private Task<long> SequenceAsync() => server.ScalarAsSuperuserAsync<long>(host, "select last_value from chargeledger.mt_events_sequence");

    private Task<long> NumbersWithoutRowsSinceAsync(long sequence) =>
        server.ScalarAsSuperuserAsync<long>(host,
            "select s.last_value - $1 - (select count(*) from chargeledger.mt_events e where e.seq_id > $1 and e.seq_id <= s.last_value) " +
            "from chargeledger.mt_events_sequence s", sequence);

    private static DataTransferReceived Transfer(string chargePointId, string messageId) =>
        new(chargePointId, "com.example", messageId, "group append", DateTimeOffset.UtcNow);

    private static MeterValuesRecorded Meter(string chargePointId, long wh, DateTimeOffset at) =>
        new("t", chargePointId, 1, [new MeterSample(at, wh.ToString(System.Globalization.CultureInfo.InvariantCulture), "Energy.Active.Import.Register",
            null, "Wh", "Sample.Periodic", null, "Outlet")], at);
}
