using ChargeLedger.Access;
using ChargeLedger.ChargePoints;
using ChargeLedger.Shared;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Wolverine.Http;

namespace ChargeLedger.Projections.ChargePointStatus;

public sealed record ConnectorStatusResponse(int ConnectorId, ConnectorStatus Status, string ErrorCode, DateTimeOffset Since);

public sealed record ChargePointStatusResponse(
    string Id,
    string StationId,
    string? Vendor,
    string? Model,
    string? FirmwareVersion,
    bool Connected,
    DateTimeOffset? LastSeenAt,
    IReadOnlyList<ConnectorStatusResponse> Connectors);

public static class GetChargePointStatusEndpoint
{
    /// <summary>
    /// Live status (eventually consistent, CONTRACT.md). lastSeenAt comes from the connection's heartbeats when this
    /// node holds it, otherwise from the last recorded event.
    /// </summary>
    [WolverineGet("/api/chargepoints/{id}")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static async Task<IResult> Get(string id, IQuerySession session, IChargePointPresence presence, CancellationToken cancellationToken)
    {
        var view = await session.LoadAsync<ChargePointStatusView>(StreamKeys.ChargePoint(id), cancellationToken);
        if (view is null)
        {
            return Validation.NotFound($"Unknown charge point {id}.");
        }

        return Results.Ok(Response(view, presence));
    }

    public const int DefaultLimit = 500;
    public const int MaxLimit = 5000;

    /// <summary>Every charge point's live status (the dashboard's list), by id; stationId and connected filter.</summary>
    [WolverineGet("/api/chargepoints")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static async Task<IReadOnlyList<ChargePointStatusResponse>> List(IQuerySession session, IChargePointPresence presence, string? stationId,
        bool? connected, int? limit, CancellationToken cancellationToken)
    {
        IQueryable<ChargePointStatusView> query = session.Query<ChargePointStatusView>();
        if (stationId is not null)
        {
            query = query.Where(v => v.StationId == stationId);
        }

        if (connected is { } isConnected)
        {
            query = query.Where(v => v.Connected == isConnected);
        }

        var views = await query.OrderBy(v => v.ChargePointId).Take(Math.Clamp(limit ?? DefaultLimit, 1, MaxLimit)).ToListAsync(cancellationToken);
        return [.. views.Select(v => Response(v, presence))];
    }

    private static ChargePointStatusResponse Response(ChargePointStatusView view, IChargePointPresence presence)
    {
        var lastSeen = presence.LastSeen(view.ChargePointId) is { } seen && (view.LastEventAt is null || seen > view.LastEventAt) ? seen : view.LastEventAt;
        return new ChargePointStatusResponse(view.ChargePointId, view.StationId, view.Vendor, view.Model, view.FirmwareVersion, view.Connected, lastSeen,
            [.. view.Connectors.Select(c => new ConnectorStatusResponse(c.ConnectorId, c.Status, c.ErrorCode, c.Since))]);
    }
}
