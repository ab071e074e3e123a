using ChargeLedger.Access;
using ChargeLedger.Stations;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using NodaTime;
using NodaTime.Text;
using Npgsql;
using NpgsqlTypes;
using Wolverine.Http;

namespace ChargeLedger.Projections.Uptime;

public sealed record UptimeRow(
    string ChargePointId,
    int ConnectorId,
    string Date,
    long UpSeconds,
    long DownSeconds,
    long ExcludedSeconds,
    decimal UptimePercent);

public static class GetUptimeReportEndpoint
{
    /// <summary>Bounds one response: rows are connectors × days.</summary>
    public const int MaxDays = 366;

    /// <summary>
    /// Rows per connector per station-local day (CONTRACT.md "Uptime"); from/to are station-local dates, inclusive.
    /// Two round trips: the charge points with their zones, then their transitions in the period plus the last one of
    /// each kind and connector before it; the fold runs here, with "now" closing today's window.
    /// </summary>
    [WolverineGet("/api/reports/uptime")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static async Task<IResult> Get(string? from, string? to, string? chargePointId, string? stationId, IQuerySession session,
        NpgsqlDataSource dataSource, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var fromDate = ParseDate(from, "from", errors);
        var toDate = ParseDate(to, "to", errors);
        if (fromDate is { } f && toDate is { } t)
        {
            if (t < f)
            {
                errors["to"] = ["Must not be before from."];
            }
            else if (Period.DaysBetween(f, t) >= MaxDays)
            {
                errors["to"] = [$"At most {MaxDays} days per report."];
            }
        }

        if (errors.Count > 0)
        {
            return Results.Problem(new ValidationProblemDetails(errors) { Status = StatusCodes.Status400BadRequest, Title = "The request is invalid" });
        }

        var schema = session.DocumentStore.Options.DatabaseSchemaName;
        var chargePoints = await ChargePointsAsync(dataSource, schema, chargePointId, stationId, cancellationToken);
        if (chargePoints.Count == 0)
        {
            return Results.Ok(Array.Empty<UptimeRow>());
        }

        var bounds = chargePoints.Select(cp => (cp.Id, cp.Zone, Start: StationClock.Day(fromDate!.Value, cp.Zone).Start,
            End: StationClock.Day(toDate!.Value, cp.Zone).End)).ToList();
        var transitions = await TransitionsAsync(dataSource, schema, bounds.Select(b => (b.Id, b.Start, b.End)).ToList(), cancellationToken);

        var now = time.GetUtcNow();
        var rows = new List<UptimeRow>();
        foreach (var (id, zone, _, _) in bounds)
        {
            var days = UptimeFold.Days(transitions.GetValueOrDefault(id, []), zone, fromDate!.Value, toDate!.Value, now);
            rows.AddRange(days.Select(d => new UptimeRow(id, d.ConnectorId, LocalDatePattern.Iso.Format(d.Date), d.UpSeconds, d.DownSeconds,
                d.ExcludedSeconds, d.UptimePercent)));
        }

        return Results.Ok(rows);
    }

    private static LocalDate? ParseDate(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (value is not null && LocalDatePattern.Iso.Parse(value) is { Success: true } result)
        {
            return result.Value;
        }

        errors[field] = [value is null ? "Required (YYYY-MM-DD, station-local)." : "Must be a date as YYYY-MM-DD."];
        return null;
    }

    private static async Task<List<(string Id, DateTimeZone Zone)>> ChargePointsAsync(NpgsqlDataSource dataSource, string schema,
        string? chargePointId, string? stationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"select c.charge_point_id, s.time_zone from {schema}.{UptimeTransitionProjection.ChargePointsTable} c " +
            $"join {schema}.{UptimeTransitionProjection.StationsTable} s on s.station_id = c.station_id " +
            "where ($1::varchar is null or c.charge_point_id = $1) and ($2::varchar is null or c.station_id = $2) " +
            "order by c.charge_point_id collate \"C\"");
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar, Value = (object?)chargePointId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Varchar, Value = (object?)stationId ?? DBNull.Value });
        var chargePoints = new List<(string, DateTimeZone)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            chargePoints.Add((reader.GetString(0), StationClock.Zone(reader.GetString(1))));
        }

        return chargePoints;
    }

    private static async Task<Dictionary<string, List<UptimeTransition>>> TransitionsAsync(NpgsqlDataSource dataSource, string schema,
        List<(string Id, DateTimeOffset Start, DateTimeOffset End)> bounds, CancellationToken cancellationToken)
    {
        var table = $"{schema}.{UptimeTransitionProjection.TransitionsTable}";
        await using var command = dataSource.CreateCommand(
            "with b as (select * from unnest($1::varchar[], $2::timestamptz[], $3::timestamptz[]) as b(cp, from_at, to_at)) " +
            "select t.charge_point_id, t.connector_id, t.at, t.seq_id, t.kind, t.value from b " +
            $"join {table} t on t.charge_point_id = b.cp and t.at >= b.from_at and t.at < b.to_at " +
            "union all " +
            "select p.* from b cross join lateral (" +
            "select distinct on (t.kind, t.connector_id) t.charge_point_id, t.connector_id, t.at, t.seq_id, t.kind, t.value " +
            $"from {table} t where t.charge_point_id = b.cp and t.at < b.from_at " +
            "order by t.kind, t.connector_id, t.at desc, t.seq_id desc) p");
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar, Value = bounds.Select(b => b.Id).ToArray() });
        command.Parameters.Add(new NpgsqlParameter
        {
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, Value = bounds.Select(b => b.Start.ToUniversalTime()).ToArray(),
        });
        command.Parameters.Add(new NpgsqlParameter
        {
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, Value = bounds.Select(b => b.End.ToUniversalTime()).ToArray(),
        });

        var transitions = new Dictionary<string, List<UptimeTransition>>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetString(0);
            if (!transitions.TryGetValue(id, out var list))
            {
                transitions[id] = list = [];
            }

            list.Add(new UptimeTransition(reader.GetInt32(1), await reader.GetFieldValueAsync<DateTimeOffset>(2, cancellationToken), reader.GetInt64(3),
                Enum.Parse<UptimeTransitionKind>(reader.GetString(4)), reader.GetString(5)));
        }

        return transitions;
    }
}
