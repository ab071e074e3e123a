using ChargeLedger.ChargePoints;
using ChargeLedger.Stations;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Projections;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;

namespace ChargeLedger.Projections.Uptime;

/// <summary>
/// The uptime read model: a log with one row per status, connectivity or availability change (uptime_transitions), and
/// the charge point → station → time zone lookup the report needs (uptime_charge_points, uptime_stations). Rows are
/// small and never rewritten, so a rebuild is insert-only: each page of events becomes one multi-row INSERT (unnest of
/// arrays) inside the daemon's batch, with no read and no per-event round trip. The report folds the log on demand
/// (<see cref="UptimeFold"/>), which keeps "now" and the station's calendar out of the projection.
/// </summary>
public sealed partial class UptimeTransitionProjection : EventProjection, IJasperFxProjection<IDocumentOperations>
{
    public const string ProjectionName = "Uptime";
    public const string TransitionsTable = "uptime_transitions";
    public const string ChargePointsTable = "uptime_charge_points";
    public const string StationsTable = "uptime_stations";

    private readonly string _insertTransitions;
    private readonly string _upsertChargePoint;
    private readonly string _upsertStation;

    /// <param name="schema">The event store's schema; the tables live beside Marten's.</param>
    public UptimeTransitionProjection(string schema)
    {
        Name = ProjectionName;

        var transitions = new Table(new PostgresqlObjectName(schema, TransitionsTable, SchemaUtils.IdentifierUsage.General));
        transitions.AddColumn<long>("seq_id").AsPrimaryKey();
        transitions.AddColumn<string>("charge_point_id").NotNull();
        transitions.AddColumn<int>("connector_id").NotNull();
        transitions.AddColumn<DateTimeOffset>("at").NotNull();
        transitions.AddColumn<string>("kind").NotNull();
        transitions.AddColumn<string>("value").NotNull();
        transitions.Indexes.Add(new IndexDefinition($"ix_{TransitionsTable}_cp_at") { Columns = ["charge_point_id", "at"] });

        var chargePoints = new Table(new PostgresqlObjectName(schema, ChargePointsTable, SchemaUtils.IdentifierUsage.General));
        chargePoints.AddColumn<string>("charge_point_id").AsPrimaryKey();
        chargePoints.AddColumn<string>("station_id").NotNull();

        var stations = new Table(new PostgresqlObjectName(schema, StationsTable, SchemaUtils.IdentifierUsage.General));
        stations.AddColumn<string>("station_id").AsPrimaryKey();
        stations.AddColumn<string>("time_zone").NotNull();

        foreach (var table in new[] { transitions, chargePoints, stations })
        {
            SchemaObjects.Add(table);
            Options.DeleteDataInTableOnTeardown(table.Identifier.QualifiedName);
        }

        // The daemon loads only these types, which is what makes a rebuild of this projection cheap.
        IncludeType<ChargePointRegistered>();
        IncludeType<StationRegistered>();
        IncludeType<ConnectorStatusChanged>();
        IncludeType<ChargePointConnected>();
        IncludeType<ChargePointConnectionReplaced>();
        IncludeType<ChargePointDisconnected>();
        IncludeType<ChargePointWentSilent>();
        IncludeType<ChargePointHeardAgain>();
        IncludeType<ConnectorAvailabilitySet>();

        // Replays (a daemon retry after a failed batch) insert nothing twice.
        _insertTransitions =
            $"insert into {transitions.Identifier.QualifiedName} (seq_id, charge_point_id, connector_id, at, kind, value) " +
            "select * from unnest(?::bigint[], ?::varchar[], ?::integer[], ?::timestamptz[], ?::varchar[], ?::varchar[]) " +
            "on conflict (seq_id) do nothing";
        _upsertChargePoint =
            $"insert into {chargePoints.Identifier.QualifiedName} (charge_point_id, station_id) values (?, ?) " +
            "on conflict (charge_point_id) do update set station_id = excluded.station_id";
        _upsertStation =
            $"insert into {stations.Identifier.QualifiedName} (station_id, time_zone) values (?, ?) " +
            "on conflict (station_id) do update set time_zone = excluded.time_zone";
    }

    /// <summary>What one event means for uptime, or null; status at device time, connectivity at server time (CONTRACT.md).</summary>
    public static (string ChargePointId, UptimeTransition Transition)? TransitionOf(IEvent e) => e.Data switch
    {
        ConnectorStatusChanged s => (s.ChargePointId, new(s.ConnectorId, s.StatusAt, e.Sequence, UptimeTransitionKind.Status, s.Status.ToString())),
        ChargePointConnected c => (c.ChargePointId, Link(c.ConnectedAt, e, Connectivity.Online)),
        ChargePointConnectionReplaced r => (r.ChargePointId, Link(r.ReplacedAt, e, Connectivity.Online)),
        ChargePointDisconnected d => (d.ChargePointId, Link(d.DisconnectedAt, e, Connectivity.Offline)),
        // Down from the moment the silence is established (2 × heartbeat), not retroactively from the last message:
        // a charge point keeping to its heartbeat interval is never counted down.
        ChargePointWentSilent w => (w.ChargePointId, Link(w.DetectedAt, e, Connectivity.Silent)),
        ChargePointHeardAgain h => (h.ChargePointId, Link(h.HeardAt, e, Connectivity.Online)),
        ConnectorAvailabilitySet a =>
            (a.ChargePointId, new(a.ConnectorId, a.SetAt, e.Sequence, UptimeTransitionKind.Availability, a.Availability.ToString())),
        _ => null,
    };

    /// <summary>Used by the daemon: one page of events.</summary>
    Task IJasperFxProjection<IDocumentOperations>.ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events,
        CancellationToken cancellation)
    {
        Queue(operations, events);
        return Task.CompletedTask;
    }

    /// <summary>Single events (the inline path); the daemon uses the page form above.</summary>
    public override ValueTask ApplyAsync(IDocumentOperations operations, IEvent e, CancellationToken cancellation)
    {
        Queue(operations, [e]);
        return ValueTask.CompletedTask;
    }

    private void Queue(IDocumentOperations operations, IReadOnlyList<IEvent> events)
    {
        var sequences = new List<long>(events.Count);
        var chargePoints = new List<string>(events.Count);
        var connectors = new List<int>(events.Count);
        var ats = new List<DateTimeOffset>(events.Count);
        var kinds = new List<string>(events.Count);
        var values = new List<string>(events.Count);
        foreach (var e in events)
        {
            switch (e.Data)
            {
                case ChargePointRegistered r:
                    operations.QueueSqlCommand(_upsertChargePoint, r.ChargePointId, r.StationId);
                    continue;
                case StationRegistered s:
                    operations.QueueSqlCommand(_upsertStation, s.StationId, s.TimeZone);
                    continue;
            }

            if (TransitionOf(e) is not var (chargePointId, t))
            {
                continue;
            }

            sequences.Add(t.Sequence);
            chargePoints.Add(chargePointId);
            connectors.Add(t.ConnectorId);
            ats.Add(t.At.ToUniversalTime());
            kinds.Add(t.Kind.ToString());
            values.Add(t.Value);
        }

        if (sequences.Count > 0)
        {
            operations.QueueSqlCommand(_insertTransitions, sequences.ToArray(), chargePoints.ToArray(), connectors.ToArray(), ats.ToArray(),
                kinds.ToArray(), values.ToArray());
        }
    }

    private static UptimeTransition Link(DateTimeOffset at, IEvent e, Connectivity connectivity) =>
        new(0, at, e.Sequence, UptimeTransitionKind.Connectivity, connectivity.ToString());
}
