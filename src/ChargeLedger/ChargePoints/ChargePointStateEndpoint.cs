using ChargeLedger.Access;
using ChargeLedger.Shared;
using ChargeLedger.Transactions;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Wolverine.Http;

namespace ChargeLedger.ChargePoints;

/// <summary>
/// Time travel for developers (CONTRACT.md Reads): the write-side aggregate folded from its stream up to a moment
/// (server recording time), or now. The same fold the decisions use, so what you see is what a decision saw.
/// The transaction's content fingerprints of recorded MeterValues (duplicate detection) are left out as noise.
/// </summary>
public static class AggregateStateEndpoints
{
    [WolverineGet("/api/chargepoints/{id}/state")]
    [Authorize(Roles = Roles.DeveloperOrAdmin)]
    public static async Task<IResult> GetChargePoint(string id, DateTimeOffset? at, IQuerySession session, CancellationToken cancellationToken)
    {
        var events = await session.Events.FetchStreamAsync(StreamKeys.ChargePoint(id), timestamp: at, token: cancellationToken);
        return ChargePoint.Fold(events.Select(e => e.Data)) is { } state
            ? Results.Ok(state with { Version = events[^1].Version })
            : Validation.NotFound(at is null ? $"Unknown charge point {id}." : $"Charge point {id} did not exist at {at:O}.");
    }

    [WolverineGet("/api/transactions/{id}/state")]
    [Authorize(Roles = Roles.DeveloperOrAdmin)]
    public static async Task<IResult> GetTransaction(string id, DateTimeOffset? at, IQuerySession session, CancellationToken cancellationToken)
    {
        var events = await session.Events.FetchStreamAsync(StreamKeys.Transaction(id), timestamp: at, token: cancellationToken);
        return Transaction.Fold(events.Select(e => e.Data)) is { } state
            ? Results.Ok(state with { Version = events[^1].Version, RecordedMeterValues = [] })
            : Validation.NotFound(at is null ? $"Unknown transaction {id}." : $"Transaction {id} did not exist at {at:O}.");
    }
}
