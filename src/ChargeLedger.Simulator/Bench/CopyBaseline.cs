using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace ChargeLedger.Simulator.Bench;

/// <summary>
/// The physical limit of issue 6: the events an OCPP run appended (mt_events rows with seq_id in (--from-seq,
/// --to-seq], exactly as stored: stream id, version, type, jsonb data and headers, timestamps, ids) written again with
/// Npgsql binary COPY into a scratch table made for the run with mt_events' columns, defaults and indexes (its primary
/// key and the unique (stream_id, version) index; no foreign key to mt_streams), --batch-size rows per COPY, each COPY
/// its own transaction committed with the server's durable defaults. The rows are read into memory first, so rows/s
/// is the write alone; the median of --passes (each into the emptied table) is reported. The scratch table is dropped
/// afterwards.
/// With --shapes N the same rows are then written N per commit the ways the group commit could: binary COPY, the
/// append's INSERT … SELECT FROM unnest, and that with mt_events' foreign key to a streams table, each with PostgreSQL's
/// CPU per row: what separates the baseline from the append, measured on the run's own events.
/// </summary>
public sealed class CopyBaseline(BenchOptions options, BenchMonitor monitor, Action<string> log)
{
    private const string Columns = "seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, correlation_id, causation_id, headers, is_archived";

    public async Task<CopyReport> RunAsync(CancellationToken ct)
    {
        var table = $"{options.Schema}.bench_copy_baseline_{Environment.ProcessId}";
        await using var connection = new NpgsqlConnection(options.Postgres);
        await connection.OpenAsync(ct);

        var readStarted = Stopwatch.GetTimestamp();
        var rows = new List<EventRow>();
        var bytes = 0L;
        await using (var read = new NpgsqlCommand(
            $"select seq_id, id, stream_id, version, data::text, type, timestamp, tenant_id, mt_dotnet_type, correlation_id, causation_id, headers::text, is_archived " +
            $"from {options.Schema}.mt_events where seq_id > $1 and seq_id <= $2 order by seq_id limit $3", connection)
        {
            Parameters = { new() { Value = options.FromSequence }, new() { Value = options.ToSequence }, new() { Value = options.MaxRows } },
        })
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var row = new EventRow(reader.GetInt64(0), reader.GetGuid(1), NullableString(reader, 2), reader.GetInt64(3), reader.GetString(4),
                    reader.GetString(5), reader.GetDateTime(6), NullableString(reader, 7), NullableString(reader, 8), NullableString(reader, 9),
                    NullableString(reader, 10), NullableString(reader, 11), await reader.GetFieldValueAsync<bool?>(12, ct) ?? false);
                bytes += row.Data.Length;
                rows.Add(row);
            }
        }

        var readSeconds = Stopwatch.GetElapsedTime(readStarted).TotalSeconds;
        if (rows.Count == 0)
        {
            throw new InvalidOperationException($"no events with seq_id in ({options.FromSequence}, {options.ToSequence}] to copy");
        }

        await ExecuteAsync(connection, $"drop table if exists {table}; create table {table} (like {options.Schema}.mt_events including defaults including constraints including indexes)", ct);
        log($"{rows.Count} events read in {readSeconds:0.0} s; COPY into {table}, {options.BatchSize} rows per commit, {options.Parallel} writer(s)");
        var writers = new NpgsqlConnection[options.Parallel];
        try
        {
            for (var w = 0; w < writers.Length; w++)
            {
                writers[w] = new NpgsqlConnection(options.Postgres);
                await writers[w].OpenAsync(ct);
            }

            // The variants take turns pass by pass, so whatever else the machine does during the step (the host's daemon
            // finishing the OCPP run's events, a checkpoint) falls on all of them alike.
            var variants = new List<Variant> { new("COPY", table, options.BatchSize, ForeignKey: false, Copy) };
            if (options.ShapeBatch > 0)
            {
                // The append's table has mt_events' foreign key to mt_streams: a row lookup (FOR KEY SHARE) per event.
                await ExecuteAsync(connection, $"drop table if exists {table}_fk; drop table if exists {table}_streams; " +
                    $"create table {table}_streams (id varchar primary key); " +
                    $"insert into {table}_streams select distinct stream_id from {options.Schema}.mt_events where seq_id > {options.FromSequence} and seq_id <= {rows[^1].SeqId} and stream_id is not null; " +
                    $"create table {table}_fk (like {table} including defaults including constraints including indexes); " +
                    $"alter table {table}_fk add foreign key (stream_id) references {table}_streams (id) on delete cascade", ct);
                variants.Add(new("binary COPY", table, options.ShapeBatch, ForeignKey: false, Copy));
                variants.Add(new(AppendStatement, table, options.ShapeBatch, ForeignKey: false, Insert));
                variants.Add(new(AppendStatement, $"{table}_fk", options.ShapeBatch, ForeignKey: true, Insert));
            }

            var results = await RunPassesAsync(connection, writers, rows, variants, ct);
            var baseline = results[0];
            double? PerRow(double? percentOfOneCore, double seconds) =>
                percentOfOneCore is { } p ? Math.Round(p / 100 * seconds * 1e6 / rows.Count, 1) : null;
            List<AppendShape>? shapes = options.ShapeBatch > 0
                ? [.. variants.Zip(results).Skip(1).Select(v => new AppendShape(v.First.Name, v.First.BatchSize, v.First.ForeignKey,
                    Math.Round(rows.Count / v.Second.Seconds), PerRow(v.Second.Cpu.PostgresPercentOfOneCore, v.Second.Seconds),
                    PerRow(v.Second.Cpu.ClientPercentOfOneCore, v.Second.Seconds), v.Second.Cpu, v.Second.Rates))]
                : null;

            return new CopyReport(options.FromSequence, Math.Min(options.ToSequence, rows[^1].SeqId), rows.Count, bytes, options.BatchSize, options.Parallel,
                Math.Round(readSeconds, 2), Math.Round(baseline.Seconds, 3), Math.Round(rows.Count / baseline.Seconds), table, baseline.Cpu, baseline.Rates,
                PerRow(baseline.Cpu.PostgresPercentOfOneCore, baseline.Seconds), shapes);
        }
        finally
        {
            foreach (var writer in writers)
            {
                if (writer is not null)
                {
                    await writer.DisposeAsync();
                }
            }

            await ExecuteAsync(connection, $"drop table if exists {table}; drop table if exists {table}_fk; drop table if exists {table}_streams", CancellationToken.None);
        }
    }

    /// <summary>
    /// Writes all rows --passes times per variant (each pass into its emptied table), the variants in turn within each
    /// pass, the writers taking batches in turn; a pass of a second or two on shared cores is noisy, so the median pass
    /// of each variant counts.
    /// </summary>
    private async Task<List<(double Seconds, CpuUsage Cpu, List<double> Rates)>> RunPassesAsync(NpgsqlConnection connection,
        NpgsqlConnection[] writers, List<EventRow> rows, List<Variant> variants, CancellationToken ct)
    {
        var passes = variants.Select(_ => new List<(double Seconds, CpuUsage Cpu)>()).ToList();
        for (var pass = 1; pass <= options.Passes; pass++)
        {
            for (var v = 0; v < variants.Count; v++)
            {
                var variant = variants[v];
                await ExecuteAsync(connection, $"truncate {variant.Table}", ct);
                var batches = (rows.Count + variant.BatchSize - 1) / variant.BatchSize;
                var next = -1;
                var from = monitor.Mark();
                await Task.WhenAll(writers.Select(writer => Task.Run(() =>
                {
                    for (var b = Interlocked.Increment(ref next); b < batches; b = Interlocked.Increment(ref next))
                    {
                        variant.Write(writer, variant.Table, rows, b * variant.BatchSize, Math.Min(rows.Count, (b + 1) * variant.BatchSize));
                    }
                }, ct)));
                var to = monitor.Mark();
                passes[v].Add((Stopwatch.GetElapsedTime(from.At, to.At).TotalSeconds, monitor.Usage(from, to)));
                log($"{variant.Name}, {variant.BatchSize} rows per commit{(variant.ForeignKey ? ", foreign key" : "")}, pass {pass}: {rows.Count / passes[v][^1].Seconds:0} rows/s");
            }
        }

        return [.. passes.Select(p =>
        {
            var median = p.OrderBy(x => x.Seconds).ElementAt(p.Count / 2);
            return (median.Seconds, median.Cpu, p.Select(x => Math.Round(rows.Count / x.Seconds)).ToList());
        })];
    }

    private const string AppendStatement = "INSERT … SELECT FROM unnest (the append's statement)";

    private sealed record Variant(string Name, string Table, int BatchSize, bool ForeignKey, Action<NpgsqlConnection, string, List<EventRow>, int, int> Write);

    /// <summary>
    /// The rows as the group commit's append writes events (migrations/0008_group_append.sql): one INSERT … SELECT FROM
    /// unnest of one array per column, in one statement and so one durable commit.
    /// </summary>
    private static void Insert(NpgsqlConnection connection, string table, List<EventRow> rows, int from, int to)
    {
        var batch = rows.GetRange(from, to - from);
        using var command = new NpgsqlCommand(
            $"INSERT INTO {table} ({Columns}) SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)", connection)
        {
            Parameters =
            {
                Array(batch.Select(r => r.SeqId), NpgsqlDbType.Bigint),
                Array(batch.Select(r => r.Id), NpgsqlDbType.Uuid),
                Array(batch.Select(r => r.StreamId), NpgsqlDbType.Varchar),
                Array(batch.Select(r => r.Version), NpgsqlDbType.Bigint),
                Array(batch.Select(r => r.Data), NpgsqlDbType.Jsonb),
                Array(batch.Select(r => r.Type), NpgsqlDbType.Varchar),
                Array(batch.Select(r => r.Timestamp), NpgsqlDbType.TimestampTz),
                Array(batch.Select(r => r.TenantId), NpgsqlDbType.Varchar),
                Array(batch.Select(r => r.DotnetType), NpgsqlDbType.Varchar),
                Array(batch.Select(r => r.CorrelationId), NpgsqlDbType.Varchar),
                Array(batch.Select(r => r.CausationId), NpgsqlDbType.Varchar),
                Array(batch.Select(r => r.Headers), NpgsqlDbType.Jsonb),
                Array(batch.Select(r => r.IsArchived), NpgsqlDbType.Boolean),
            },
        };
        command.ExecuteNonQuery();

        static NpgsqlParameter Array<T>(IEnumerable<T> values, NpgsqlDbType type) => new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | type };
    }

    /// <summary>One COPY statement outside an explicit transaction: PostgreSQL commits it as one transaction (durable).</summary>
    private static void Copy(NpgsqlConnection connection, string table, List<EventRow> rows, int from, int to)
    {
        using var writer = connection.BeginBinaryImport($"COPY {table} ({Columns}) FROM STDIN (FORMAT BINARY)");
        for (var i = from; i < to; i++)
        {
            var row = rows[i];
            writer.StartRow();
            writer.Write(row.SeqId, NpgsqlDbType.Bigint);
            writer.Write(row.Id, NpgsqlDbType.Uuid);
            Write(writer, row.StreamId, NpgsqlDbType.Varchar);
            writer.Write(row.Version, NpgsqlDbType.Bigint);
            writer.Write(row.Data, NpgsqlDbType.Jsonb);
            writer.Write(row.Type, NpgsqlDbType.Varchar);
            writer.Write(row.Timestamp, NpgsqlDbType.TimestampTz);
            Write(writer, row.TenantId, NpgsqlDbType.Varchar);
            Write(writer, row.DotnetType, NpgsqlDbType.Varchar);
            Write(writer, row.CorrelationId, NpgsqlDbType.Varchar);
            Write(writer, row.CausationId, NpgsqlDbType.Varchar);
            Write(writer, row.Headers, NpgsqlDbType.Jsonb);
            writer.Write(row.IsArchived, NpgsqlDbType.Boolean);
        }

        writer.Complete();
    }

    private static void Write(NpgsqlBinaryImporter writer, string? value, NpgsqlDbType type)
    {
        if (value is null)
        {
            writer.WriteNull();
        }
        else
        {
            writer.Write(value, type);
        }
    }

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private sealed record EventRow(long SeqId, Guid Id, string? StreamId, long Version, string Data, string Type, DateTime Timestamp, string? TenantId,
        string? DotnetType, string? CorrelationId, string? CausationId, string? Headers, bool IsArchived);
}
