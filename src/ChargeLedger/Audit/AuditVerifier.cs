using System.Text.Json;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using Marten;
using Npgsql;

namespace ChargeLedger.Audit;

/// <summary>Where a verification run is.</summary>
public sealed record AuditProgress(long StreamsChecked, long StreamsTotal, long EventsChecked, long Broken);

/// <summary>The outcome: counts over everything checked and the first broken link of each broken stream.</summary>
public sealed record AuditReport(
    long Streams,
    long Events,
    long Broken,
    IReadOnlyList<ChainBreak> Breaks,
    bool BreaksTruncated,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt)
{
    public bool Intact => Broken == 0;
}

/// <summary>
/// Recomputes the hash chain of every transaction stream (or one) straight from mt_events and mt_streams, for finance
/// (issue 3; RELIABILITY F8). Memory stays bounded however large the store: streams are read in keyset pages of
/// <see cref="PageSize"/> by id, each page in one repeatable-read snapshot (so a stream's recorded version and its
/// events agree while the ledger keeps writing), and the page's events are streamed from the (stream_id, version)
/// index one row at a time. The chain is per stream, so going stream by stream needs only the previous link; a single
/// pass in global sequence order would have to hold the last link of every stream ever opened.
/// </summary>
public sealed class AuditVerifier(NpgsqlDataSource dataSource, IDocumentStore store, TimeProvider time)
{
    /// <summary>Streams per keyset page (one short repeatable-read transaction each).</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>Breaks kept in the report; all are counted, and all are passed to the onBreak callback.</summary>
    public const int MaxReportedBreaks = 1000;

    private string Schema => store.Options.Events.DatabaseSchemaName;

    /// <summary>The stream key of a transaction id ("CP-1:42") or a bare OCPP transactionId ("42"); null when none exists.</summary>
    public async Task<string?> FindStreamAsync(string transactionId, CancellationToken cancellationToken)
    {
        var bare = transactionId.All(char.IsAsciiDigit);
        await using var command = dataSource.CreateCommand(bare
            ? $"select id from {Schema}.mt_streams where starts_with(id, $2) and id like $1 limit 2"
            : $"select id from {Schema}.mt_streams where id = $1");
        command.Parameters.AddWithValue(bare ? $"{StreamKeys.TransactionPrefix}%:{transactionId}" : StreamKeys.Transaction(transactionId));
        if (bare)
        {
            command.Parameters.AddWithValue(StreamKeys.TransactionPrefix);
        }
        var found = new List<string>(2);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            found.Add(reader.GetString(0));
        }

        return found.Count == 1 ? found[0] : null;
    }

    /// <summary>Verifies one stream (<paramref name="streamKey"/>) or every transaction stream (null).</summary>
    public async Task<AuditReport> VerifyAsync(string? streamKey, Action<AuditProgress>? onProgress, Action<ChainBreak>? onBreak,
        CancellationToken cancellationToken)
    {
        var startedAt = time.GetUtcNow();
        var total = streamKey is null ? await CountTransactionStreamsAsync(cancellationToken) : 1;
        var breaks = new List<ChainBreak>();
        long streams = 0, events = 0, broken = 0;
        var after = "";
        while (true)
        {
            var page = await VerifyPageAsync(streamKey, after, cancellationToken);
            if (page.Count == 0)
            {
                break;
            }

            foreach (var verifier in page)
            {
                streams++;
                events += verifier.EventsChecked;
                if (verifier.Break is { } chainBreak)
                {
                    broken++;
                    if (breaks.Count < MaxReportedBreaks)
                    {
                        breaks.Add(chainBreak);
                    }

                    onBreak?.Invoke(chainBreak);
                }
            }

            onProgress?.Invoke(new AuditProgress(streams, Math.Max(total, streams), events, broken));
            if (streamKey is not null || page.Count < PageSize)
            {
                break;
            }

            after = page[^1].StreamKey;
        }

        return new AuditReport(streams, events, broken, breaks, broken > breaks.Count, startedAt, time.GetUtcNow());
    }

    /// <summary>
    /// One page of streams after <paramref name="after"/> in the database's own order of ids (the primary key index, in
    /// whatever collation the database has), keeping only transaction streams.
    /// </summary>
    private async Task<List<ChainVerifier>> VerifyPageAsync(string? streamKey, string after, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var verifiers = new List<ChainVerifier>(PageSize);
        await using (var streams = new NpgsqlCommand(streamKey is null
                         ? $"select id, coalesce(version, 0) from {Schema}.mt_streams where id > $1 and starts_with(id, $2) order by id limit {PageSize}"
                         : $"select id, coalesce(version, 0) from {Schema}.mt_streams where id = $1", connection, transaction))
        {
            if (streamKey is null)
            {
                streams.Parameters.AddWithValue(after);
                streams.Parameters.AddWithValue(StreamKeys.TransactionPrefix);
            }
            else
            {
                streams.Parameters.AddWithValue(streamKey);
            }

            await using var reader = await streams.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                verifiers.Add(new ChainVerifier(reader.GetString(0), reader.GetInt64(1)));
            }
        }

        if (verifiers.Count == 0)
        {
            return verifiers;
        }

        var byStream = verifiers.ToDictionary(v => v.StreamKey, StringComparer.Ordinal);
        await using (var events = new NpgsqlCommand(
                         $"select stream_id, seq_id, version, type, data, headers ->> '{HashChain.HashHeader}', headers ->> '{HashChain.PreviousHashHeader}' " +
                         $"from {Schema}.mt_events where stream_id = any($1) order by stream_id, version", connection, transaction))
        {
            events.Parameters.AddWithValue(byStream.Keys.ToArray());
            await using var reader = await events.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var verifier = byStream[reader.GetString(0)];
                var sequence = reader.GetInt64(1);
                var version = reader.GetInt64(2);
                var type = reader.GetString(3);
                using var data = JsonDocument.Parse(reader.GetString(4));
                var hash = await reader.IsDBNullAsync(5, cancellationToken) ? null : reader.GetString(5);
                var previousHash = await reader.IsDBNullAsync(6, cancellationToken) ? null : reader.GetString(6);
                verifier.Accept(sequence, version, type, data.RootElement, hash, previousHash);
            }
        }

        foreach (var verifier in verifiers)
        {
            verifier.Complete();
        }

        await transaction.CommitAsync(cancellationToken);
        return verifiers;
    }

    private async Task<long> CountTransactionStreamsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"select count(*) from {Schema}.mt_streams where starts_with(id, $1)");
        command.Parameters.AddWithValue(StreamKeys.TransactionPrefix);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
