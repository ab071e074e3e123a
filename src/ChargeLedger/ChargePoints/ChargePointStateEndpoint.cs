using System.Globalization;
using ChargeLedger.Access;
using ChargeLedger.Shared;
using ChargeLedger.Transactions;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Wolverine.Http;

namespace ChargeLedger.ChargePoints;

/// <summary>
/// Time travel for developers (CONTRACT.md Reads): the write-side aggregate folded from its stream up to a moment, or
/// now. <c>at</c> is server recording time (Marten's event timestamp, when the ledger committed the event), not the
/// charge point's clock: the state includes every event recorded at or before it. ISO-8601; without an offset it is
/// taken as UTC; anything unparseable is 400 (never silently "now"). The same fold the decisions use, so what you see
/// is what a decision saw. The transaction's content fingerprints of recorded MeterValues (duplicate detection) are
/// left out as noise.
/// </summary>
public static class AggregateStateEndpoints
{
    [WolverineGet("/api/chargepoints/{id}/state")]
    [Authorize(Roles = Roles.DeveloperOrAdmin)]
    public static async Task<IResult> GetChargePoint(string id, string? at, IQuerySession session, CancellationToken cancellationToken)
    {
        if (!TryParseMoment(at, out var moment))
        {
            return InvalidMoment();
        }

        var events = await session.Events.FetchStreamAsync(StreamKeys.ChargePoint(id), timestamp: moment, token: cancellationToken);
        return ChargePoint.Fold(events.Select(e => e.Data)) is { } state
            ? Results.Ok(state with { Version = events[^1].Version })
            : Validation.NotFound(moment is null ? $"Unknown charge point {id}." : $"Charge point {id} did not exist at {moment:O}.");
    }

    [WolverineGet("/api/transactions/{id}/state")]
    [Authorize(Roles = Roles.DeveloperOrAdmin)]
    public static async Task<IResult> GetTransaction(string id, string? at, IQuerySession session, CancellationToken cancellationToken)
    {
        if (!TryParseMoment(at, out var moment))
        {
            return InvalidMoment();
        }

        var events = await session.Events.FetchStreamAsync(StreamKeys.Transaction(id), timestamp: moment, token: cancellationToken);
        return Transaction.Fold(events.Select(e => e.Data)) is { } state
            ? Results.Ok(state with { Version = events[^1].Version, RecordedMeterValues = [] })
            : Validation.NotFound(moment is null ? $"Unknown transaction {id}." : $"Transaction {id} did not exist at {moment:O}.");
    }

    private static bool TryParseMoment(string? at, out DateTimeOffset? moment)
    {
        moment = null;
        if (string.IsNullOrWhiteSpace(at))
        {
            return at is null;
        }

        if (!DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return false;
        }

        moment = parsed.ToUniversalTime();
        return true;
    }

    private static IResult InvalidMoment() =>
        Validation.Invalid("at", "Must be an ISO-8601 time, e.g. 2026-03-02T09:15:00Z (server recording time; no offset means UTC).");
}
