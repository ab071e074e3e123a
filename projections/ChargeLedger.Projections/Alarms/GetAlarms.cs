using ChargeLedger.Access;
using ChargeLedger.Alarms;
using ChargeLedger.Shared;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Wolverine.Http;

namespace ChargeLedger.Projections.Alarms;

public sealed record AlarmResponse(
    string Id,
    string Source,
    string Kind,
    string Severity,
    DateTimeOffset RaisedAt,
    DateTimeOffset? ClearedAt,
    DateTimeOffset? AcknowledgedAt,
    IReadOnlyDictionary<string, string> Detail,
    string? StationId,
    string? ChargePointId,
    int? ConnectorId,
    string? DeviceId,
    string? RuleId,
    string? ClearReason,
    string? AcknowledgedBy,
    string? AcknowledgementNote)
{
    public static AlarmResponse From(AlarmView v) => new(v.AlarmId, v.Source, v.Kind, v.Severity, v.RaisedAt, v.ClearedAt, v.AcknowledgedAt, v.Detail,
        v.StationId, v.ChargePointId, v.ConnectorId, v.DeviceId, v.RuleId, v.ClearReason, v.AcknowledgedBy, v.AcknowledgementNote);
}

public static class GetAlarmsEndpoint
{
    private const int DefaultRows = 500;
    private const int MaxRows = 1000;

    /// <summary>
    /// Newest first (raisedAt, then the raising event's sequence). active=true: not cleared; active=false: cleared;
    /// absent: both. Eventually consistent with the event store (CONTRACT.md Reads).
    /// </summary>
    [WolverineGet("/api/alarms")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static async Task<IResult> Get(IQuerySession session, bool? active, string? stationId, string? chargePointId, string? kind, int? limit,
        CancellationToken cancellationToken)
    {
        if (kind is not null && !AlarmKinds.All.Contains(kind))
        {
            return Validation.Invalid("kind", $"Must be one of: {string.Join(", ", AlarmKinds.All)}.");
        }

        if (limit is < 1 or > MaxRows)
        {
            return Validation.Invalid("limit", $"Must be between 1 and {MaxRows}.");
        }

        var query = session.Query<AlarmView>().AsQueryable();
        if (active is { } a)
        {
            query = query.Where(x => x.Active == a);
        }

        if (stationId is not null)
        {
            query = query.Where(x => x.StationId == stationId);
        }

        if (chargePointId is not null)
        {
            query = query.Where(x => x.ChargePointId == chargePointId);
        }

        if (kind is not null)
        {
            query = query.Where(x => x.Kind == kind);
        }

        var rows = await query.OrderByDescending(x => x.RaisedAt).ThenByDescending(x => x.RaisedSequence)
            .Take(limit ?? DefaultRows).ToListAsync(cancellationToken);
        return Results.Ok(rows.Select(AlarmResponse.From));
    }

    [WolverineGet("/api/alarms/{id}")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static async Task<IResult> GetOne(string id, IQuerySession session, CancellationToken cancellationToken) =>
        await session.LoadAsync<AlarmView>(StreamKeys.Alarm(id), cancellationToken) is { } view
            ? Results.Ok(AlarmResponse.From(view))
            : Validation.NotFound($"Unknown alarm {id}.");
}
