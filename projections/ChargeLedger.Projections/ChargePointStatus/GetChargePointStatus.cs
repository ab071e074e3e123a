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

        var lastSeen = presence.LastSeen(id) is { } seen && (view.LastEventAt is null || seen > view.LastEventAt) ? seen : view.LastEventAt;
        return Results.Ok(new ChargePointStatusResponse(view.ChargePointId, view.StationId, view.Vendor, view.Model, view.FirmwareVersion,
            view.Connected, lastSeen,
            [.. view.Connectors.Select(c => new ConnectorStatusResponse(c.ConnectorId, c.Status, c.ErrorCode, c.Since))]));
    }
}
