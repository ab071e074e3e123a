using System.Buffers;
using System.Collections.Concurrent;
using System.Data.Common;
using System.Text.Json;
using Marten;
using Npgsql;
using NpgsqlTypes;
using Weasel.Postgresql;
using Weasel.Postgresql.Functions;
using ICommandBuilder = Weasel.Core.ICommandBuilder;
using IStorageOperation = Weasel.Storage.IStorageOperation;
using IStorageSession = Weasel.Storage.IStorageSession;
using OperationRole = Weasel.Core.OperationRole;

namespace ChargeLedger.Ledger;

/// <summary>
/// The group commit's event append, set-based: every stream and event of a batch of decisions in one call of one
/// PostgreSQL function (<see cref="Function"/>), instead of Marten's per-stream <c>mt_quick_append_events</c> call and
/// per-event work. Rows are exactly the ones Marten writes (same tables, columns, sequence, type names, headers), so
/// Marten reads, projects and fetches them as its own.
/// <list type="bullet">
/// <item>Existing streams move from their expected version, all or none: if any stream of the batch is not at the
/// version its decision was made on, the call raises <see cref="VersionMismatchState"/> before drawing a single
/// sequence number (no gap for the async daemon to wait out), and the writer retries the decisions one by one.</item>
/// <item>New streams are inserted (a stream that already exists is a primary-key violation: a conflict).</item>
/// <item>Any-version streams (telemetry) are upserted, their events numbered after whatever the stream holds.</item>
/// <item>Events take <c>mt_events_sequence</c> numbers in the order of the batch, so within a stream the sequence grows
/// with the version.</item>
/// </list>
/// </summary>
public static class GroupAppend
{
    public const string FunctionName = "cl_append_events";

    /// <summary>SQLSTATE raised when a stream is not at the version its decision expected.</summary>
    public const string VersionMismatchState = "CL001";

    public static Function Function(string schema) => new(new PostgresqlObjectName(schema, FunctionName, SchemaUtils.IdentifierUsage.General),
        $$"""
        CREATE OR REPLACE FUNCTION {{schema}}.{{FunctionName}}(stream_ids varchar[], expected_versions bigint[], counts integer[], event_streams integer[], event_offsets integer[], event_ids uuid[], event_types varchar[], dotnet_types varchar[], bodies jsonb[], headers jsonb[]) RETURNS integer AS $$
        DECLARE
            moved integer;
            wanted integer;
            bases bigint[] := expected_versions;
            upserted record;
        BEGIN
            SELECT count(*) INTO wanted FROM unnest(expected_versions) AS e(v) WHERE e.v > 0;
            IF wanted > 0 THEN
                UPDATE {{schema}}.mt_streams AS s SET version = s.version + g.n, timestamp = now()
                FROM unnest(stream_ids, expected_versions, counts) AS g(id, expected, n)
                WHERE g.expected > 0 AND s.id = g.id AND s.version = g.expected AND s.is_archived IS NOT TRUE;
                GET DIAGNOSTICS moved = ROW_COUNT;
                IF moved <> wanted THEN
                    RAISE EXCEPTION 'Stream version mismatch: % of % streams were at the version their decisions expected', moved, wanted USING ERRCODE = '{{VersionMismatchState}}';
                END IF;
            END IF;

            INSERT INTO {{schema}}.mt_streams (id, type, version, timestamp, tenant_id)
            SELECT g.id, NULL, g.n, now(), '*DEFAULT*'
            FROM unnest(stream_ids, expected_versions, counts) AS g(id, expected, n)
            WHERE g.expected = 0;

            FOR upserted IN
                WITH g AS (SELECT * FROM unnest(stream_ids, expected_versions, counts) WITH ORDINALITY AS u(id, expected, n, ord) WHERE u.expected < 0),
                up AS (
                    INSERT INTO {{schema}}.mt_streams AS s (id, type, version, timestamp, tenant_id)
                    SELECT g.id, NULL, g.n, now(), '*DEFAULT*' FROM g
                    ON CONFLICT (id) DO UPDATE SET version = s.version + excluded.version, timestamp = now()
                    RETURNING s.id, s.version)
                SELECT g.ord, up.version - g.n AS base FROM up JOIN g ON g.id = up.id
            LOOP
                bases[upserted.ord] := upserted.base;
            END LOOP;

            INSERT INTO {{schema}}.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived, headers)
            SELECT nextval('{{schema}}.mt_events_sequence'), e.id, stream_ids[e.stream], bases[e.stream] + e.offset_in_stream, e.body, e.type, '*DEFAULT*', now(), e.dotnet_type, FALSE, e.header
            FROM (
                SELECT * FROM unnest(event_streams, event_offsets, event_ids, event_types, dotnet_types, bodies, headers)
                    WITH ORDINALITY AS u(stream, offset_in_stream, id, type, dotnet_type, body, header, ord)
                ORDER BY u.ord) AS e;
            RETURN cardinality(event_ids);
        END;
        $$ LANGUAGE plpgsql;
        """);

    /// <summary>A stream conflict in a group append: the decision was made on a stale version (or started an existing stream).</summary>
    public static bool IsConflict(PostgresException ex) =>
        ex.SqlState == VersionMismatchState ||
        (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName is "pkey_mt_streams_id" or "pk_mt_events_stream_and_version") ||
        (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation && ex.ConstraintName == "fkey_mt_events_stream_id");
}

/// <summary>Raised when a decision's stream moved on (or already existed) before its commit: reload and decide again.</summary>
public sealed class StreamConflictException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// The arrays of one <see cref="GroupAppend"/> call, built from a batch of decisions: one entry per stream append
/// (any-version appends to the same stream share one), one per event, hash chains sealed on the way.
/// </summary>
internal sealed class GroupAppendBatch
{
    private readonly List<string> _streamIds = [];
    private readonly List<long> _expected = [];
    private readonly List<int> _counts = [];
    private readonly List<int> _eventStreams = [];
    private readonly List<int> _eventOffsets = [];
    private readonly List<Guid> _eventIds = [];
    private readonly List<string> _eventTypes = [];
    private readonly List<string> _dotnetTypes = [];
    private readonly List<byte[]> _bodies = [];
    private readonly List<byte[]?> _headers = [];
    private Dictionary<string, int>? _anyVersionStreams;

    // Staging for each event's JSON, hashed bytes and headers in turn; Utf8JsonWriter asks for 4 KiB at a time, so a
    // fresh small buffer per event would grow (and be thrown away) several times over.
    private readonly ArrayBufferWriter<byte> _scratch = new(16 * 1024);

    public int Events => _eventIds.Count;

    /// <summary>Adds one decision's appends; returns the last hash of each chained stream.</summary>
    public CommitReceipt Add(LedgerChange change, EventTypeNames names, ISerializer serializer)
    {
        Dictionary<string, string>? lastHashes = null;
        foreach (var append in change.Appends)
        {
            var stream = StreamFor(append);
            var first = _counts[stream];
            _counts[stream] += append.Events.Count;
            var previous = append.PreviousHash;
            for (var i = 0; i < append.Events.Count; i++)
            {
                var data = append.Events[i];
                var (typeName, dotnetType) = names.For(data.GetType());
                var body = Serialize(serializer, data);
                byte[]? header = null;
                if (previous is not null)
                {
                    using var parsed = JsonDocument.Parse(body);
                    var hash = HashChain.Compute(previous, append.StreamKey, append.ExpectedVersion + i + 1, typeName, parsed.RootElement, _scratch);
                    header = ChainHeaders(hash, previous);
                    previous = hash;
                }

                _eventStreams.Add(stream + 1);
                _eventOffsets.Add(first + i + 1);
                _eventIds.Add(EventIds.NewVersion7());
                _eventTypes.Add(typeName);
                _dotnetTypes.Add(dotnetType);
                _bodies.Add(body);
                _headers.Add(header);
            }

            if (append.Chained)
            {
                (lastHashes ??= [])[append.StreamKey] = previous!;
            }
        }

        return lastHashes is null ? CommitReceipt.Empty : new CommitReceipt(lastHashes);
    }

    private byte[] Serialize(ISerializer serializer, object value)
    {
        _scratch.ResetWrittenCount();
        serializer.WriteTo(_scratch, value);
        return _scratch.WrittenSpan.ToArray();
    }

    /// <summary>The event's headers: its link in the stream's hash chain (the JSON Marten reads back as its headers).</summary>
    private byte[] ChainHeaders(string hash, string previous)
    {
        _scratch.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_scratch))
        {
            writer.WriteStartObject();
            writer.WriteString(HashChain.HashHeader, hash);
            writer.WriteString(HashChain.PreviousHashHeader, previous);
            writer.WriteEndObject();
        }

        return _scratch.WrittenSpan.ToArray();
    }

    private int StreamFor(StreamAppend append)
    {
        if (append.ExpectedVersion == StreamAppend.AnyVersion)
        {
            _anyVersionStreams ??= new Dictionary<string, int>(StringComparer.Ordinal);
            if (_anyVersionStreams.TryGetValue(append.StreamKey, out var existing))
            {
                return existing;
            }

            _anyVersionStreams[append.StreamKey] = _streamIds.Count;
        }

        _streamIds.Add(append.StreamKey);
        _expected.Add(append.ExpectedVersion);
        _counts.Add(0);
        return _streamIds.Count - 1;
    }

    public IStorageOperation ToOperation(string schema) => new Operation(this, schema);

    /// <summary>Returns one row (the event count), so Marten's batch reader moves past it like any data-returning operation.</summary>
    private sealed class Operation(GroupAppendBatch batch, string schema) : IStorageOperation
    {
        private readonly string _sql = $"select {schema}.{GroupAppend.FunctionName}(";

        /// <summary>The event store's tables (what a store with AutoCreate on makes sure exist before the commit), as Marten's own event operations say.</summary>
        public Type DocumentType => typeof(JasperFx.Events.IEvent);

        public void ConfigureCommand(ICommandBuilder builder, IStorageSession session)
        {
            // In the order of the function's parameters.
            (object Values, NpgsqlDbType ElementType)[] arguments =
            [
                (batch._streamIds, NpgsqlDbType.Varchar), (batch._expected, NpgsqlDbType.Bigint), (batch._counts, NpgsqlDbType.Integer),
                (batch._eventStreams, NpgsqlDbType.Integer), (batch._eventOffsets, NpgsqlDbType.Integer), (batch._eventIds, NpgsqlDbType.Uuid),
                (batch._eventTypes, NpgsqlDbType.Varchar), (batch._dotnetTypes, NpgsqlDbType.Varchar), (batch._bodies, NpgsqlDbType.Jsonb),
                (batch._headers, NpgsqlDbType.Jsonb),
            ];
            builder.Append(_sql);
            for (var i = 0; i < arguments.Length; i++)
            {
                builder.Append(i == 0 ? "" : ", ");
                var parameter = (NpgsqlParameter)builder.AppendParameter(arguments[i].Values);
                parameter.NpgsqlDbType = NpgsqlDbType.Array | arguments[i].ElementType;
            }

            builder.Append(")");
        }

        public Task PostprocessAsync(DbDataReader reader, IList<Exception> exceptions, CancellationToken token) => Task.CompletedTask;

        public OperationRole Role() => OperationRole.Events;
    }
}

/// <summary>Marten's stored type names of each event type (its alias and .NET name), looked up once per type.</summary>
internal sealed class EventTypeNames(IDocumentStore store)
{
    private readonly ConcurrentDictionary<Type, (string Name, string DotNet)> _names = new();

    public (string Name, string DotNet) For(Type type) => _names.GetOrAdd(type, static (t, s) =>
    {
        var mapping = ((Marten.Events.EventGraph)s.Options.Events).EventMappingFor(t);
        return (mapping.EventTypeName, mapping.DotNetTypeName);
    }, store);
}
