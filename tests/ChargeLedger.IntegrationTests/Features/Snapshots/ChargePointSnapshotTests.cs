using System.Collections.Immutable;
using ChargeLedger.ChargePoints;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChargeLedger.IntegrationTests.Features.Snapshots;

/// <summary>
/// LedgerStore.LoadChargePointAsync resumes from the charge point's stored snapshot and folds only the events after it;
/// the ledger it returns must equal the full fold of the stream (the reference: ChargePoint.Fold over every event).
/// </summary>
[Collection(typeof(Commands.CommandCollection))]
public sealed class ChargePointSnapshotTests(PostgresServer server, LedgerHost host)
{
    private const int Threshold = ChargePointSnapshot.EventsBetweenSnapshots;

    private LedgerStore Store => host.Services.GetRequiredService<LedgerStore>();

    [Fact]
    public async Task a_load_that_folds_a_long_history_stores_a_snapshot_and_later_loads_fold_only_the_events_after_it()
    {
        var id = (await host.RegisteredChargePointAsync()).Id;
        await AppendHistoryAsync(id, Threshold / 2);

        var few = await LoadAsync(id);
        few.EventsFolded.ShouldBe(Threshold / 2 + 1);
        (await SnapshotAsync(id)).ShouldBeNull("a load folding fewer events than the threshold stores no snapshot");

        await AppendHistoryAsync(id, Threshold);
        var first = await LoadAsync(id);
        first.EventsFolded.ShouldBe(Threshold * 3 / 2 + 1, "no snapshot yet: the whole stream");
        var stored = (await SnapshotAsync(id)).ShouldNotBeNull();
        stored.Version.ShouldBe(Threshold * 3 / 2 + 1);
        stored.FoldVersion.ShouldBe(ChargePointSnapshot.CurrentFoldVersion);
        ShouldEqual(stored.State, await FullFoldAsync(id), "the stored snapshot, read back through Marten's serializer");

        await AppendHistoryAsync(id, 30);
        var second = await LoadAsync(id);
        second.EventsFolded.ShouldBe(30, "only the events after the snapshot");
        (await SnapshotAsync(id))!.Version.ShouldBe(stored.Version, "30 events are below the threshold");

        await AppendHistoryAsync(id, Threshold + 10);
        var third = await LoadAsync(id);
        third.EventsFolded.ShouldBe(Threshold + 40);
        (await SnapshotAsync(id))!.Version.ShouldBe(await host.StreamVersionAsync(StreamKeys.ChargePoint(id)));

        var fourth = await LoadAsync(id);
        fourth.EventsFolded.ShouldBe(0, "the snapshot is at the head of the stream");
    }

    [Fact]
    public async Task a_snapshot_of_another_fold_version_is_ignored_and_replaced()
    {
        var id = (await host.RegisteredChargePointAsync()).Id;
        await AppendHistoryAsync(id, Threshold + 49);
        var wrong = Tampered(await FullFoldAsync(id, upTo: 100));
        await ForceSnapshotAsync(new ChargePointSnapshot { Id = id, Version = 100, FoldVersion = ChargePointSnapshot.CurrentFoldVersion + 1, State = wrong });

        var load = await LoadAsync(id);

        load.EventsFolded.ShouldBe(Threshold + 50, "the whole stream");
        var stored = (await SnapshotAsync(id)).ShouldNotBeNull();
        stored.FoldVersion.ShouldBe(ChargePointSnapshot.CurrentFoldVersion, "rewritten in the current shape");
        stored.Version.ShouldBe(Threshold + 50);
        ShouldEqual(stored.State, await FullFoldAsync(id), "the rewritten snapshot");
    }

    [Fact]
    public async Task a_snapshot_ahead_of_its_stream_is_ignored()
    {
        var id = (await host.RegisteredChargePointAsync()).Id;
        await AppendHistoryAsync(id, 20);
        var wrong = Tampered(await FullFoldAsync(id)) with { Version = 10_000 };
        await ForceSnapshotAsync(new ChargePointSnapshot { Id = id, Version = 10_000, FoldVersion = ChargePointSnapshot.CurrentFoldVersion, State = wrong });

        var load = await LoadAsync(id);

        load.EventsFolded.ShouldBe(21, "the whole stream");
    }

    [Fact]
    public async Task an_older_snapshot_never_replaces_a_newer_one()
    {
        var id = (await host.RegisteredChargePointAsync()).Id;
        await AppendHistoryAsync(id, Threshold + 49);
        await LoadAsync(id);
        var newest = (await SnapshotAsync(id)).ShouldNotBeNull();
        newest.Version.ShouldBe(Threshold + 50);

        await Store.StoreSnapshotAsync(await FullFoldAsync(id, upTo: 120), TestContext.Current.CancellationToken);
        await Store.StoreSnapshotAsync(Tampered(await FullFoldAsync(id)), TestContext.Current.CancellationToken);

        var stored = (await SnapshotAsync(id)).ShouldNotBeNull();
        stored.Version.ShouldBe(newest.Version, "neither an older version nor the same one replaces it");
        ShouldEqual(stored.State, await FullFoldAsync(id), "the snapshot the load stored");

        await AppendHistoryAsync(id, 5);
        await Store.StoreSnapshotAsync(await FullFoldAsync(id), TestContext.Current.CancellationToken);
        (await SnapshotAsync(id))!.Version.ShouldBe(Threshold + 55, "a newer one does replace it");
    }

    [Fact]
    public async Task open_transactions_are_loaded_beside_the_snapshot()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        var idTag = await host.IssuedIdTagAsync();
        int[] transactionIds;
        await using (cp)
        {
            var one = await cp.StartTransactionAsync(idTag, connectorId: 1, meterStart: 1_000);
            var two = await cp.StartTransactionAsync(idTag, connectorId: 2, meterStart: 5_000, at: Scenarios.SessionStart.AddMinutes(1));
            await cp.MeterValuesAsync(one.TransactionId, 1_500, Scenarios.SessionStart.AddMinutes(5));
            transactionIds = [one.TransactionId, two.TransactionId];
        }

        var id = credentials.Id;
        // The disconnect is recorded after the socket closed; wait for it so the stream holds still while the test reads it.
        await Eventually.ReturnsAsync(() => host.StreamAsync(StreamKeys.ChargePoint(id)), events => events.Any(e => e.Data is ChargePointDisconnected),
            "the disconnect is recorded");
        await AppendHistoryAsync(id, Threshold);

        var first = await LoadAsync(id);
        (await SnapshotAsync(id)).ShouldNotBeNull();
        await AppendHistoryAsync(id, 3);
        var second = await LoadAsync(id);

        second.EventsFolded.ShouldBe(3);
        foreach (var load in new[] { first, second })
        {
            var ledger = load.Ledger.ShouldNotBeNull();
            ledger.OpenTransactions.Count.ShouldBe(2);
            foreach (var transactionId in transactionIds)
            {
                var expected = (await Store.LoadTransactionAsync(StreamKeys.TransactionId(id, transactionId), TestContext.Current.CancellationToken))
                    .ShouldNotBeNull();
                var actual = ledger.OpenTransaction(transactionId).ShouldNotBeNull();
                actual.LastHash.ShouldBe(expected.LastHash);
                actual.LastHash.ShouldNotBeEmpty();
                actual.State.Version.ShouldBe(expected.State.Version);
                actual.State.LastRegisterWh.ShouldBe(expected.State.LastRegisterWh);
                actual.State.ConnectorId.ShouldBe(expected.State.ConnectorId);
            }
        }

        ShouldEqual(second.Ledger!.ChargePoint, await FullFoldAsync(id), "the charge point beside its transactions");
    }

    [Fact]
    public async Task a_snapshot_that_cannot_be_stored_does_not_fail_the_load()
    {
        var id = (await host.RegisteredChargePointAsync()).Id;
        await AppendHistoryAsync(id, Threshold + 49);
        var logger = new RecordingLogger();
        using var store = new LedgerStore(host.Store, host.Services.GetRequiredService<LedgerConnections>(), TimeProvider.System,
            Options.Create(new LedgerWriterOptions()), logger);
        // The ids are [A-Za-z0-9-] (LedgerHost.NewId), safe inside the literal; a trigger's WHEN takes no parameters.
        await server.ExecuteAsSuperuserAsync(host,
            $"""
            create function chargeledger.refuse_snapshot() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$;
            create trigger refuse_snapshot before insert or update on chargeledger.mt_doc_chargepointsnapshot
              for each row when (new.id = '{id}') execute function chargeledger.refuse_snapshot();
            """);
        try
        {
            var load = await store.FoldChargePointAsync(id, TestContext.Current.CancellationToken);

            load.EventsFolded.ShouldBe(Threshold + 50);
            ShouldEqual(load.Ledger.ShouldNotBeNull().ChargePoint, await FullFoldAsync(id), "the load whose snapshot was refused");
            (await SnapshotAsync(id)).ShouldBeNull();
            logger.Entries.ShouldContain(e => e.Level == LogLevel.Debug && e.Exception != null && e.Exception.ToString().Contains("refused"));
        }
        finally
        {
            await server.ExecuteAsSuperuserAsync(host,
                "drop trigger refuse_snapshot on chargeledger.mt_doc_chargepointsnapshot; drop function chargeledger.refuse_snapshot();");
        }

        await store.FoldChargePointAsync(id, TestContext.Current.CancellationToken);
        (await SnapshotAsync(id)).ShouldNotBeNull("stored once the database accepts it");
    }

    private async Task<LedgerStore.ChargePointLoad> LoadAsync(string chargePointId)
    {
        var load = await Store.FoldChargePointAsync(chargePointId, TestContext.Current.CancellationToken);
        ShouldEqual(load.Ledger.ShouldNotBeNull().ChargePoint, await FullFoldAsync(chargePointId), $"load of {chargePointId}");
        return load;
    }

    private async Task<ChargePointSnapshot?> SnapshotAsync(string chargePointId)
    {
        await using var session = host.Store.QuerySession();
        return await session.LoadAsync<ChargePointSnapshot>(chargePointId, TestContext.Current.CancellationToken);
    }

    /// <summary>Stores a snapshot whatever is stored (a revision above any the stream could reach), then sets its revision.</summary>
    private async Task ForceSnapshotAsync(ChargePointSnapshot snapshot)
    {
        await using (var session = host.Store.LightweightSession())
        {
            session.HardDelete<ChargePointSnapshot>(snapshot.Id);
            session.TryUpdateRevision(snapshot, snapshot.Version);
            await session.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        (await SnapshotAsync(snapshot.Id)).ShouldNotBeNull().Version.ShouldBe(snapshot.Version);
    }

    /// <summary>The reference: ChargePoint.Fold over the stream's first <paramref name="upTo"/> events (all by default).</summary>
    private async Task<ChargePoint> FullFoldAsync(string chargePointId, int? upTo = null)
    {
        var events = (await host.StreamAsync(StreamKeys.ChargePoint(chargePointId))).Take(upTo ?? int.MaxValue).ToList();
        return ChargePoint.Fold(events.Select(e => e.Data))! with { Version = events[^1].Version };
    }

    /// <summary>A state no fold of the stream produces.</summary>
    private static ChargePoint Tampered(ChargePoint state) =>
        state with { Vendor = "tampered", UnknownTransactionReports = 9_999, Connectors = ImmutableSortedDictionary<int, ConnectorState>.Empty };

    /// <summary>
    /// A charge point's life: boots, connections (some replaced), silences, status changes on several connectors, unknown
    /// transactions and events the aggregate ignores; seeded by the charge point id and the count (printed on failure).
    /// </summary>
    private async Task AppendHistoryAsync(string chargePointId, int count)
    {
        var random = new Random(chargePointId.Aggregate(count, (hash, c) => unchecked((hash * 31) + c)));
        var at = Scenarios.SessionStart.AddTicks(random.NextInt64(TimeSpan.TicksPerDay));
        var connection = "c0";
        var events = new object[count];
        for (var i = 0; i < count; i++)
        {
            at = at.AddTicks(random.NextInt64(1, TimeSpan.TicksPerHour));
            var other = $"c{random.Next(4)}";
            events[i] = random.Next(11) switch
            {
                0 => new ChargePointBooted(chargePointId, "VendorX", $"Model{random.Next(3)}", null, null, $"1.{random.Next(5)}", null, null, null, null, at),
                1 => new ChargePointConnected(chargePointId, connection = other, "10.0.0.7", at),
                2 => new ChargePointConnectionReplaced(chargePointId, connection, connection = other, at),
                3 => new ChargePointDisconnected(chargePointId, random.Next(2) == 0 ? connection : other, "closed", at),
                4 => new ChargePointWentSilent(chargePointId, random.Next(2) == 0 ? connection : other, at, at.AddMinutes(10)),
                5 => new ChargePointHeardAgain(chargePointId, random.Next(2) == 0 ? connection : other, at.AddMinutes(-5), at),
                6 or 7 => new ConnectorStatusChanged(chargePointId, random.Next(4), (ConnectorStatus)random.Next(9), random.Next(3) == 0 ? "GroundFailure" : "NoError",
                    random.Next(2) == 0 ? null : "info", null, random.Next(2) == 0 ? null : "E42", at, at.AddSeconds(1)),
                8 => new UnknownTransactionReported(chargePointId, "StopTransaction", random.Next(1, 999), null, 1_000, at, null, "Local", [], at),
                9 => new DataTransferReceived(chargePointId, "com.example", null, "{}", at),
                _ => new FirmwareStatusChanged(chargePointId, "Installed", at),
            };
        }

        await using var session = host.Store.LightweightSession();
        session.Events.Append(StreamKeys.ChargePoint(chargePointId), events);
        await session.SaveChangesAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Record equality, except that ImmutableSortedDictionary compares by reference: its entries are compared instead.</summary>
    private static void ShouldEqual(ChargePoint actual, ChargePoint expected, string because)
    {
        var empty = ImmutableSortedDictionary<int, ConnectorState>.Empty;
        (actual with { Connectors = empty }).ShouldBe(expected with { Connectors = empty }, because);
        actual.Connectors.Select(c => (c.Key, c.Value)).ShouldBe(expected.Connectors.Select(c => (c.Key, c.Value)), because);
    }

    private sealed record LogEntry(LogLevel Level, string Message, Exception? Exception);

    private sealed class RecordingLogger : ILogger<LedgerStore>
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<LogEntry> _entries = new();

        public IReadOnlyList<LogEntry> Entries => [.. _entries];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _entries.Enqueue(new LogEntry(logLevel, formatter(state, exception), exception));
    }
}
