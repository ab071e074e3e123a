using ChargeLedger.ChargePoints;
using ChargeLedger.IdTags;
using ChargeLedger.Shared;
using ChargeLedger.Stations;
using ChargeLedger.Tariffs;
using ChargeLedger.Transactions;
using JasperFx.Events;
using System.Collections.Concurrent;
using Marten;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChargeLedger.Ledger;

/// <summary>
/// Reads the write-side state decisions need, straight from the event streams (never from read models); a charge point
/// resumes from its ChargePointSnapshot, itself a fold of its own stream.
/// </summary>
public sealed class LedgerStore(IDocumentStore store, LedgerConnections connections, TimeProvider time, IOptions<LedgerWriterOptions> options,
    ILogger<LedgerStore> logger) : IDisposable
{
    public const string TransactionIdSequence = "ocpp_transaction_id";
    private const int TransactionIdBlock = 32;
    private const int MaxRememberedIdTags = 100_000;

    private readonly TimeSpan _idTagReuse = TimeSpan.FromSeconds(Math.Max(0, options.Value.IdTagReuseSeconds));
    private readonly ConcurrentDictionary<string, RememberedIdTag> _idTags = new(StringComparer.OrdinalIgnoreCase);

    private readonly System.Collections.Concurrent.ConcurrentQueue<int> _transactionIds = new();
    private readonly SemaphoreSlim _refill = new(1, 1);

    /// <summary>
    /// The charge point's stored credential, for the handshake's password check. Read on the ledger's own pool, whose
    /// connections go back without reset statements: a reconnect storm borrows one connection per handshake.
    /// </summary>
    public async Task<ChargePointCredential?> LoadCredentialAsync(string chargePointId, CancellationToken cancellationToken)
    {
        await using var session = await connections.QuerySessionAsync(store, cancellationToken);
        return await session.LoadAsync<ChargePointCredential>(chargePointId, cancellationToken);
    }

    /// <summary>
    /// Stores a chosen password's keyed verifier (<see cref="Access.PasswordHasher.KeyedVerifier"/>) in a charge point's
    /// credential or a gateway's account, only while that record still holds the hash the verifier was made for: a
    /// password changed in the meantime is never paired with the old one's verifier. False when it no longer does.
    /// </summary>
    public async Task<bool> StorePasswordVerifierAsync<TCredential>(string id, string passwordHash, string verifier, CancellationToken cancellationToken)
        where TCredential : class
    {
        // The documents' tables as Marten names them (mt_doc_ and the type's name in lower case; migrations/0001, 0005).
        var table = typeof(TCredential) == typeof(ChargePointCredential) ? "mt_doc_chargepointcredential"
            : typeof(TCredential) == typeof(Gateways.GatewayAccount) ? "mt_doc_gatewayaccount"
            : throw new ArgumentException($"{typeof(TCredential).Name} holds no password.", nameof(TCredential));
        await using var command = connections.DataSource.CreateCommand(
            $$"""
             update {{store.Options.DatabaseSchemaName}}.{{table}}
                set data = jsonb_set(data, '{passwordVerifier}', to_jsonb($3::text)), mt_last_modified = transaction_timestamp(),
                    mt_version = md5(random()::text || clock_timestamp()::text)::uuid
              where id = $1 and data ->> 'passwordHash' = $2
             """);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = id });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = passwordHash });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = verifier });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// A charge point's or gateway's password checked against its stored hash and verifier
    /// (<see cref="Access.PasswordHasher.CheckAsync"/>). When the check offers a new verifier, it is stored
    /// (<see cref="StorePasswordVerifierAsync{TCredential}"/>), so the next restart admits the password without the slow
    /// hash: once per charge point or gateway and key. The password was right whatever becomes of that write, so a
    /// failure is logged and the answer stands.
    /// </summary>
    public async Task<bool> CheckPasswordAsync<TCredential>(Access.PasswordHasher hasher, string id, string password, string passwordHash,
        string? verifier, CancellationToken cancellationToken)
        where TCredential : class
    {
        var check = await hasher.CheckAsync(password, passwordHash, verifier, cancellationToken);
        if (check is { Valid: true, NewVerifier: { } newVerifier })
        {
            try
            {
                await StorePasswordVerifierAsync<TCredential>(id, passwordHash, newVerifier, cancellationToken);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException)
            {
                logger.LogWarning(ex, "{Id}: could not store its password verifier; the next restart checks the slow hash again", id);
            }
        }

        return check.Valid;
    }

    public async Task<ChargePointLedger?> LoadChargePointAsync(string chargePointId, CancellationToken cancellationToken) =>
        (await FoldChargePointAsync(chargePointId, cancellationToken)).Ledger;

    /// <summary>
    /// The charge point's ledger in two round trips whatever its history and open transactions: first its snapshot, its
    /// stream's version and its open-transaction index; then the events after the snapshot and the open transactions'
    /// streams. A load that folded <see cref="ChargePointSnapshot.EventsBetweenSnapshots"/> or more events stores a new
    /// snapshot (one more round trip, on loads only, never on a charge point's messages).
    /// </summary>
    internal async Task<ChargePointLoad> FoldChargePointAsync(string chargePointId, CancellationToken cancellationToken)
    {
        var streamKey = StreamKeys.ChargePoint(chargePointId);
        await using var session = await connections.QuerySessionAsync(store, cancellationToken);
        var first = session.CreateBatchQuery();
        // In this order: a snapshot is only written after its events committed, so a stream version read after (or with)
        // the snapshot is never below it, unless the stream really was rewritten (then Usable refuses the snapshot).
        var storedSnapshot = first.Load<ChargePointSnapshot>(chargePointId);
        var streamState = first.Events.FetchStreamState(streamKey);
        var openIndex = first.Query<OpenTransactionIndex>().Where(x => x.ChargePointId == chargePointId).ToList();
        await first.Execute(cancellationToken);

        if (await streamState is not { } stream)
        {
            return new ChargePointLoad(null, 0);
        }

        var snapshot = (await storedSnapshot)?.Usable(stream.Version);
        var second = session.CreateBatchQuery();
        var tail = second.Events.FetchStream(streamKey, 0, null, snapshot is null ? 0 : snapshot.Version + 1);
        var transactions = (await openIndex).Select(index => second.Events.FetchStream(StreamKeys.Transaction(index.Id), 0, null, 0)).ToList();
        await second.Execute(cancellationToken);

        var events = await tail;
        var chargePoint = ChargePointSnapshot.Resume(snapshot, events.Select(e => (e.Data, e.Version)));
        if (chargePoint is null)
        {
            return new ChargePointLoad(null, events.Count);
        }

        var entries = new List<TransactionEntry>(transactions.Count);
        foreach (var transaction in transactions)
        {
            if (Entry(await transaction) is { } entry)
            {
                entries.Add(entry);
            }
        }

        if (events.Count >= ChargePointSnapshot.EventsBetweenSnapshots)
        {
            await StoreSnapshotAsync(chargePoint, cancellationToken);
        }

        return new ChargePointLoad(new ChargePointLedger(chargePoint, entries), events.Count);
    }

    /// <summary>
    /// Stores a snapshot unless one of a later stream version is stored already (another load may have got further). A
    /// snapshot only saves work, so failing to write one is logged and does not fail the load.
    /// </summary>
    internal async Task StoreSnapshotAsync(ChargePoint chargePoint, CancellationToken cancellationToken)
    {
        try
        {
            await using var session = await connections.LightweightSessionAsync(store, cancellationToken);
            session.TryUpdateRevision(ChargePointSnapshot.Of(chargePoint), chargePoint.Version);
            await session.SaveChangesAsync(cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogDebug(ex, "Storing the snapshot of {ChargePointId} at version {Version} failed", chargePoint.Id, chargePoint.Version);
        }
    }

    public async Task<TransactionEntry?> LoadTransactionAsync(string transactionId, CancellationToken cancellationToken)
    {
        await using var session = await connections.QuerySessionAsync(store, cancellationToken);
        return Entry(await session.Events.FetchStreamAsync(StreamKeys.Transaction(transactionId), token: cancellationToken));
    }

    private static TransactionEntry? Entry(IReadOnlyList<IEvent> events)
    {
        var state = Fold(events, Transaction.Fold, (t, v) => t with { Version = v });
        if (state is null)
        {
            return null;
        }

        var lastHash = events[^1].Headers?.GetValueOrDefault(HashChain.HashHeader)?.ToString() ?? "";
        return new TransactionEntry(state, lastHash);
    }

    /// <summary>
    /// A transaction with what pricing needs: its state, the readings of its energy register (every MeterValues and the
    /// stop's transactionData) and, when stopped, the station (time zone, tariff assignments), the connector's status
    /// reports made during the session and the tariff to price it with: <paramref name="tariffId"/>, or else the one
    /// priced with before, or else the one assigned to the station at the session's start.
    /// </summary>
    public async Task<PricingInputs> LoadPricingInputsAsync(string transactionId, string? tariffId, CancellationToken cancellationToken) =>
        (await LoadPricingInputsAsync([new PricingRead(transactionId, tariffId)], cancellationToken))[0];

    /// <summary>
    /// What pricing needs for each of these transactions (in their order; <see cref="PricingInputs.None"/> for an unknown
    /// one), in at most three round trips whatever their number, each a batch: their streams; then their stations beside
    /// the status reports of their connectors; then their tariffs. The pricing subscription reads a page's stopped
    /// transactions this way instead of four round trips for each.
    /// </summary>
    public async Task<PricingInputs[]> LoadPricingInputsAsync(IReadOnlyList<PricingRead> reads, CancellationToken cancellationToken)
    {
        var inputs = new PricingInputs[reads.Count];
        if (reads.Count == 0)
        {
            return inputs;
        }

        await using var session = await connections.QuerySessionAsync(store, cancellationToken);
        var first = session.CreateBatchQuery();
        var streams = reads.Select(r => first.Events.FetchStream(StreamKeys.Transaction(r.TransactionId), 0, null, 0)).ToList();
        await first.Execute(cancellationToken);

        var stopped = new List<StoppedForPricing>();
        foreach (var (i, stream) in streams.Index())
        {
            var events = await stream;
            var state = Fold(events, Transaction.Fold, (t, v) => t with { Version = v });
            if (state is null)
            {
                inputs[i] = PricingInputs.None;
                continue;
            }

            var record = new TransactionRecord(state, events[^1].Headers?.GetValueOrDefault(HashChain.HashHeader)?.ToString() ?? "",
                [.. MeterReadings.EnergyRegister(events.Select(e => e.Data).SelectMany(d => d switch
                {
                    MeterValuesRecorded m => m.Samples,
                    TransactionStopped s => s.TransactionData,
                    _ => [],
                }))]);
            inputs[i] = new PricingInputs(record, null, [], null);
            if (state.IsStopped)
            {
                stopped.Add(new StoppedForPricing(i, record, events.First(e => e.Data is TransactionStarted).Sequence,
                    events.First(e => e.Data is TransactionStopped).Sequence));
            }
        }

        if (stopped.Count == 0)
        {
            return inputs;
        }

        // The status reports on the ledger's pool beside the stations on this session: two connections, one round trip.
        var statuses = LoadStatusChangesAsync(stopped, cancellationToken);
        var stationsRead = LoadStreamsAsync(session, stopped.Select(s => s.Record.State.StationId), StreamKeys.Station,
            (_, events) => StationOf(events), cancellationToken);
        await Task.WhenAll(statuses, stationsRead);
        var stations = await stationsRead;
        var chosen = stopped.Select(s =>
        {
            var state = s.Record.State;
            return reads[s.Index].TariffId ?? state.Pricing?.TariffId ?? stations[state.StationId]?.TariffAt(state.StartedAt)?.TariffId;
        }).ToList();
        var tariffs = await LoadStreamsAsync(session, chosen.OfType<string>(), StreamKeys.Tariff, Tariff, cancellationToken);
        var changes = await statuses;
        for (var j = 0; j < stopped.Count; j++)
        {
            var (index, record) = (stopped[j].Index, stopped[j].Record);
            var tariff = chosen[j] is { } tariffId ? tariffs[tariffId] : null;
            inputs[index] = new PricingInputs(record, stations[record.State.StationId], changes[j], tariff);
        }

        return inputs;
    }

    private static TariffHistory Tariff(string tariffId, IReadOnlyList<IEvent> events) =>
        new(tariffId, [.. events.Select(e => e.Data).OfType<TariffPublished>()], events.Count == 0 ? 0 : events[^1].Version);

    /// <summary>Distinct streams read in one batch and folded, by id.</summary>
    private static async Task<Dictionary<string, T?>> LoadStreamsAsync<T>(IQuerySession session, IEnumerable<string> ids,
        Func<string, string> streamKey, Func<string, IReadOnlyList<IEvent>, T?> fold, CancellationToken cancellationToken)
        where T : class
    {
        var batch = session.CreateBatchQuery();
        var reads = ids.Distinct(StringComparer.Ordinal).Select(id => (id, Events: batch.Events.FetchStream(streamKey(id), 0, null, 0))).ToList();
        if (reads.Count > 0)
        {
            await batch.Execute(cancellationToken);
        }

        var folded = new Dictionary<string, T?>(reads.Count, StringComparer.Ordinal);
        foreach (var (id, events) in reads)
        {
            folded[id] = fold(id, await events);
        }

        return folded;
    }

    /// <summary>
    /// Each stopped transaction's connector status reports recorded between its start and its stop, one statement per
    /// transaction sent as one batch. A charge point sends its messages in order
    /// (one CALL at a time), so the reports made during the session lie between the two in the store's sequence; reading
    /// by sequence keeps a re-rating on exactly the reports the first pricing saw.
    /// Sequence and version grow together within a stream, so the read walks the charge point's stream index
    /// (stream_id, version) backwards from its newest event to the last one before the start, and then forwards over that
    /// tail only: its cost is the events recorded since the session began (a handful when pricing runs right after the
    /// stop), not the charge point's whole history.
    /// </summary>
    private async Task<IReadOnlyList<ChargingStateChange>[]> LoadStatusChangesAsync(IReadOnlyList<StoppedForPricing> transactions,
        CancellationToken cancellationToken)
    {
        var events = $"{store.Options.Events.DatabaseSchemaName}.mt_events";
        var sql = $"""
            select e.data ->> 'statusAt', e.data ->> 'status'
            from {events} e
            where e.stream_id = $1
              and e.version > coalesce((select b.version from {events} b where b.stream_id = $1 and b.seq_id <= $2 order by b.version desc limit 1), 0)
              and e.seq_id < $3 and e.type = $4 and (e.data ->> 'connectorId')::int = $5
            order by e.version
            """;
        await using var batch = connections.DataSource.CreateBatch();
        foreach (var transaction in transactions)
        {
            var command = new Npgsql.NpgsqlBatchCommand(sql);
            command.Parameters.AddWithValue(StreamKeys.ChargePoint(transaction.Record.State.ChargePointId));
            command.Parameters.AddWithValue(transaction.StartedSequence);
            command.Parameters.AddWithValue(transaction.StoppedSequence);
            command.Parameters.AddWithValue(StatusChangedEventName);
            command.Parameters.AddWithValue(transaction.Record.State.ConnectorId);
            batch.BatchCommands.Add(command);
        }

        var changes = new IReadOnlyList<ChargingStateChange>[transactions.Count];
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        for (var i = 0; i < changes.Length; i++)
        {
            var list = new List<ChargingStateChange>();
            while (await reader.ReadAsync(cancellationToken))
            {
                list.Add(new ChargingStateChange(
                    DateTimeOffset.Parse(reader.GetString(0), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal),
                    reader.GetString(1) == nameof(ConnectorStatus.Charging)));
            }

            changes[i] = list;
            await reader.NextResultAsync(cancellationToken);
        }

        return changes;
    }

    private static readonly string StatusChangedEventName =
        LedgerRegistration.EventTypes.Single(t => t.Type == typeof(ConnectorStatusChanged)).Name;

    /// <summary>
    /// Reads an idTag from its stream, always fresh, and remembers the answer for a following start. A tag this node has
    /// read before is first checked against its stream's version (usually unchanged: the remembered tag is the answer),
    /// and otherwise read from where it left off: streams only grow, so the events after the remembered version, folded
    /// onto it, give exactly the full fold. A tail that does not continue the remembered version (never expected) falls
    /// back to reading the whole stream.
    /// </summary>
    public async Task<IdTag?> LoadIdTagAsync(string idTag, CancellationToken cancellationToken)
    {
        var readAt = time.GetUtcNow();
        var streamKey = StreamKeys.IdTag(idTag);
        var known = _idTags.TryGetValue(idTag, out var remembered) ? remembered.Tag : null;
        if (known is not null && await StreamVersionAsync(streamKey, cancellationToken) == known.Version)
        {
            Remember(idTag, known, readAt);
            return known;
        }

        await using var session = await connections.QuerySessionAsync(store, cancellationToken);
        var tag = known is null
            ? null
            : ReadOn(known, await session.Events.FetchStreamAsync(streamKey, fromVersion: known.Version + 1, token: cancellationToken));
        tag ??= Fold(await session.Events.FetchStreamAsync(streamKey, token: cancellationToken), IdTag.Fold, (t, v) => t with { Version = v });
        Remember(idTag, tag, readAt);
        return tag;
    }

    /// <summary>
    /// The stream's version from mt_streams: one primary-key lookup, without a Marten session. Every append moves it in
    /// the transaction that writes the events (ours in cl_append_events, Marten's in its own append), so a version equal
    /// to the remembered one means no event has been added since. This is the common case of an idTag read, and it
    /// used to cost a session and an events query that returned no row (~5 % of the host's CPU under OCPP load).
    /// </summary>
    private async Task<long?> StreamVersionAsync(string streamKey, CancellationToken cancellationToken)
    {
        await using var command = connections.DataSource.CreateCommand(
            $"select version from {store.Options.Events.DatabaseSchemaName}.mt_streams where id = $1");
        command.Parameters.AddWithValue(streamKey);
        return await command.ExecuteScalarAsync(cancellationToken) as long?;
    }

    /// <summary>
    /// A known tag advanced by its stream's events after its version, or null when they do not continue that version.
    /// (Folding onto a known tag never gives null, so null only ever means "read the whole stream".)
    /// </summary>
    private static IdTag? ReadOn(IdTag known, IReadOnlyList<IEvent> tail) =>
        tail.Count == 0 ? known
        : tail[0].Version != known.Version + 1 ? null
        : tail.Aggregate(known, (t, e) => IdTag.Advance(t, e.Data)!) with { Version = tail[^1].Version };

    /// <summary>An idTag read at most IdTagReuseSeconds ago (a miss when there is none or reuse is off).</summary>
    public bool TryRecentIdTag(string idTag, out IdTag? tag)
    {
        tag = null;
        if (_idTagReuse <= TimeSpan.Zero || !_idTags.TryGetValue(idTag, out var remembered) || time.GetUtcNow() - remembered.ReadAt > _idTagReuse)
        {
            return false;
        }

        tag = remembered.Tag;
        return true;
    }

    /// <summary>Forgets a remembered idTag read (this node just changed the tag).</summary>
    public void ForgetIdTag(string idTag) => _idTags.TryRemove(idTag, out _);

    /// <summary>Kept whether or not reuse is on: <see cref="LoadIdTagAsync"/> reads on from a remembered version.</summary>
    private void Remember(string idTag, IdTag? tag, DateTimeOffset readAt)
    {
        if (_idTags.Count >= MaxRememberedIdTags)
        {
            _idTags.Clear(); // bounded memory: a forgotten tag costs its next read the whole stream, nothing more
        }

        _idTags[idTag] = new RememberedIdTag(tag, readAt);
    }

    public async Task<Station?> LoadStationAsync(string stationId, CancellationToken cancellationToken)
    {
        await using var session = await connections.QuerySessionAsync(store, cancellationToken);
        return StationOf(await session.Events.FetchStreamAsync(StreamKeys.Station(stationId), token: cancellationToken));
    }

    private static Station? StationOf(IReadOnlyList<IEvent> events) => Fold(events, Station.Fold, (s, v) => s with { Version = v });

    public async Task<Gateways.Gateway?> LoadGatewayAsync(string gatewayId, CancellationToken cancellationToken)
    {
        await using var session = await connections.QuerySessionAsync(store, cancellationToken);
        var events = await session.Events.FetchStreamAsync(StreamKeys.Gateway(gatewayId), token: cancellationToken);
        return Fold(events, Gateways.Gateway.Fold, (g, v) => g with { Version = v });
    }

    public async Task<TariffHistory> LoadTariffAsync(string tariffId, CancellationToken cancellationToken)
    {
        await using var session = await connections.QuerySessionAsync(store, cancellationToken);
        return Tariff(tariffId, await session.Events.FetchStreamAsync(StreamKeys.Tariff(tariffId), token: cancellationToken));
    }

    /// <summary>An earlier identical start and the idTag, read in one round trip (a Marten batched query).</summary>
    public async Task<(TransactionStartKey? Earlier, IdTag? Tag)> FindStartAndIdTagAsync(string startKey, string idTag,
        CancellationToken cancellationToken)
    {
        var readAt = time.GetUtcNow();
        await using var session = await connections.QuerySessionAsync(store, cancellationToken);
        var batch = session.CreateBatchQuery();
        var earlier = batch.Load<TransactionStartKey>(startKey);
        var events = batch.Events.FetchStream(StreamKeys.IdTag(idTag), 0, null, 0);
        await batch.Execute(cancellationToken);
        var tag = Fold(await events, IdTag.Fold, (t, v) => t with { Version = v });
        Remember(idTag, tag, readAt);
        return (await earlier, tag);
    }

    /// <summary>
    /// OCPP transactionIds come from a database sequence: positive, unique across nodes, never random. They are drawn
    /// in blocks so a start costs no round trip of its own most of the time; the price is gaps (a restart drops the
    /// unused rest of a block) and ids that are unique but not in start order across nodes, neither of which OCPP
    /// or billing depends on.
    /// </summary>
    public async Task<int> NextTransactionIdAsync(CancellationToken cancellationToken)
    {
        if (_transactionIds.TryDequeue(out var id))
        {
            return id;
        }

        await _refill.WaitAsync(cancellationToken);
        try
        {
            if (_transactionIds.TryDequeue(out id))
            {
                return id;
            }

            await using var command = connections.DataSource.CreateCommand(
                $"select nextval('{store.Options.DatabaseSchemaName}.{TransactionIdSequence}') from generate_series(1, {TransactionIdBlock})");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var first = true;
            while (await reader.ReadAsync(cancellationToken))
            {
                var next = checked((int)reader.GetInt64(0));
                if (first)
                {
                    id = next;
                    first = false;
                }
                else
                {
                    _transactionIds.Enqueue(next);
                }
            }

            return id;
        }
        finally
        {
            _refill.Release();
        }
    }

    public void Dispose() => _refill.Dispose();

    private sealed record RememberedIdTag(IdTag? Tag, DateTimeOffset ReadAt);

    private sealed record StoppedForPricing(int Index, TransactionRecord Record, long StartedSequence, long StoppedSequence);

    /// <summary>A charge point load and how many of its stream's events it folded (those after the snapshot it used).</summary>
    internal sealed record ChargePointLoad(ChargePointLedger? Ledger, int EventsFolded);

    /// <summary>The stream version is Marten's, not a count of the events the aggregate understood.</summary>
    private static T? Fold<T>(IReadOnlyList<IEvent> events, Func<IEnumerable<object>, T?> fold, Func<T, long, T> withVersion)
        where T : class =>
        events.Count == 0 ? null : fold(events.Select(e => e.Data)) is { } state ? withVersion(state, events[^1].Version) : null;
}
