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
            var batches = (rows.Count + options.BatchSize - 1) / options.BatchSize;
            for (var w = 0; w < writers.Length; w++)
            {
                writers[w] = new NpgsqlConnection(options.Postgres);
                await writers[w].OpenAsync(ct);
            }

            // A pass of a second or two on shared cores is noisy: the median of --passes, each into an emptied table.
            var passes = new List<(double Seconds, CpuUsage Cpu)>();
            for (var pass = 1; pass <= options.Passes; pass++)
            {
                if (pass > 1)
                {
                    await ExecuteAsync(connection, $"truncate {table}", ct);
                }

                var next = -1;
                var from = monitor.Mark();
                await Task.WhenAll(writers.Select(writer => Task.Run(() =>
                {
                    for (var b = Interlocked.Increment(ref next); b < batches; b = Interlocked.Increment(ref next))
                    {
                        Copy(writer, table, rows, b * options.BatchSize, Math.Min(rows.Count, (b + 1) * options.BatchSize));
                    }
                }, ct)));
                var to = monitor.Mark();
                passes.Add((Stopwatch.GetElapsedTime(from.At, to.At).TotalSeconds, monitor.Usage(from, to)));
                log($"pass {pass}: {rows.Count / passes[^1].Seconds:0} rows/s");
            }

            var median = passes.OrderBy(p => p.Seconds).ElementAt(passes.Count / 2);
            return new CopyReport(options.FromSequence, Math.Min(options.ToSequence, rows[^1].SeqId), rows.Count, bytes, options.BatchSize, options.Parallel,
                Math.Round(readSeconds, 2), Math.Round(median.Seconds, 3), Math.Round(rows.Count / median.Seconds), table, median.Cpu,
                [.. passes.Select(p => Math.Round(rows.Count / p.Seconds))]);
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

            await ExecuteAsync(connection, $"drop table if exists {table}", CancellationToken.None);
        }
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
