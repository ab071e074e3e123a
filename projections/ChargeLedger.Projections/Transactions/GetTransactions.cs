using System.Globalization;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Wolverine.Http;

namespace ChargeLedger.Projections.Transactions;

public sealed record TransactionResponse(
    string Id,
    int OcppTransactionId,
    string ChargePointId,
    int ConnectorId,
    string IdTag,
    DateTimeOffset StartedAt,
    DateTimeOffset? StoppedAt,
    long MeterStartWh,
    long? MeterStopWh,
    long EnergyWh,
    string? StopReason,
    string Status)
{
    public static TransactionResponse From(TransactionView v) => new(v.TransactionId, v.OcppTransactionId, v.ChargePointId, v.ConnectorId,
        v.IdTag, v.StartedAt, v.StoppedAt, v.MeterStartWh, v.MeterStopWh, v.EnergyWh, v.StopReason, v.Status);
}

public sealed record TransactionEventResponse(long Sequence, long Version, string Type, DateTimeOffset Timestamp, JsonElement Data,
    string? Hash, string? PreviousHash);

public static class GetTransactionsEndpoint
{
    private const int MaxRows = 1000;

    /// <summary>Newest first; from/to bound the start time (inclusive from, exclusive to).</summary>
    [WolverineGet("/api/transactions")]
    [Authorize(Roles = Roles.OperatorFinanceOrAdmin)]
    public static async Task<IResult> Get(IQuerySession session, string? chargePointId, string? idTag, DateTimeOffset? from, DateTimeOffset? to,
        string? status, int? limit, CancellationToken cancellationToken)
    {
        if (status is not null && status != TransactionView.Active && status != TransactionView.Completed)
        {
            return Validation.Invalid("status", "Must be Active or Completed.");
        }

        var query = session.Query<TransactionView>().AsQueryable();
        if (chargePointId is not null)
        {
            query = query.Where(x => x.ChargePointId == chargePointId);
        }

        if (idTag is not null)
        {
            query = query.Where(x => x.IdTag == idTag);
        }

        if (from is { } f)
        {
            query = query.Where(x => x.StartedAt >= f);
        }

        if (to is { } t)
        {
            query = query.Where(x => x.StartedAt < t);
        }

        if (status is not null)
        {
            query = query.Where(x => x.Status == status);
        }

        var rows = await query.OrderByDescending(x => x.StartedAt).Take(Math.Clamp(limit ?? 500, 1, MaxRows)).ToListAsync(cancellationToken);
        return Results.Ok(rows.Select(TransactionResponse.From));
    }

    /// <summary>The id is the transaction id ("CP-1:42") or the bare OCPP transactionId (unique store-wide).</summary>
    [WolverineGet("/api/transactions/{id}")]
    [Authorize(Roles = Roles.OperatorFinanceOrAdmin)]
    public static async Task<IResult> GetOne(string id, IQuerySession session, CancellationToken cancellationToken) =>
        await Find(id, session, cancellationToken) is { } view
            ? Results.Ok(TransactionResponse.From(view))
            : Validation.NotFound($"Unknown transaction {id}.");

    /// <summary>The full stream for finance, in order, with each event's link in the hash chain.</summary>
    [WolverineGet("/api/transactions/{id}/events")]
    [Authorize(Roles = Roles.FinanceOrAdmin)]
    public static async Task<IResult> GetEvents(string id, IQuerySession session, CancellationToken cancellationToken)
    {
        var streamKey = await StreamKeyOf(id, session, cancellationToken);
        var events = streamKey is null ? [] : await session.Events.FetchStreamAsync(streamKey, token: cancellationToken);
        if (events.Count == 0)
        {
            return Validation.NotFound($"Unknown transaction {id}.");
        }

        var serializer = session.DocumentStore.Options.Serializer();
        return Results.Ok(events.Select(e =>
        {
            using var data = JsonDocument.Parse(serializer.ToJson(e.Data));
            return new TransactionEventResponse(e.Sequence, e.Version, e.EventTypeName, e.Timestamp, data.RootElement.Clone(),
                e.Headers?.GetValueOrDefault(HashChain.HashHeader)?.ToString(),
                e.Headers?.GetValueOrDefault(HashChain.PreviousHashHeader)?.ToString());
        }));
    }

    private static async Task<string?> StreamKeyOf(string id, IQuerySession session, CancellationToken cancellationToken) =>
        int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out _)
            ? (await Find(id, session, cancellationToken))?.Id
            : StreamKeys.Transaction(id);

    private static async Task<TransactionView?> Find(string id, IQuerySession session, CancellationToken cancellationToken) =>
        int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var ocppId)
            ? await session.Query<TransactionView>().FirstOrDefaultAsync(x => x.OcppTransactionId == ocppId, cancellationToken)
            : await session.LoadAsync<TransactionView>(StreamKeys.Transaction(id), cancellationToken);
}
