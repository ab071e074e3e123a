using ChargeLedger.Access;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Wolverine.Http;

namespace ChargeLedger.Telemetry;

public sealed record DeadLetterResponse(DateTimeOffset ReceivedAt, string? GatewayId, string Topic, string Reason, string Payload);

public static class GetDeadLettersEndpoint
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    /// <summary>Newest first (CONTRACT.md: receivedAt, topic, reason, payload; gatewayId beside them when known).</summary>
    [WolverineGet("/api/telemetry/dead-letters")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static async Task<IReadOnlyList<DeadLetterResponse>> Get(IQuerySession session, string? gatewayId, DateTimeOffset? from, int? limit,
        CancellationToken cancellationToken)
    {
        IQueryable<TelemetryDeadLetter> query = session.Query<TelemetryDeadLetter>();
        if (gatewayId is not null)
        {
            query = query.Where(d => d.GatewayId == gatewayId);
        }

        if (from is { } since)
        {
            query = query.Where(d => d.ReceivedAt >= since);
        }

        var letters = await query.OrderByDescending(d => d.ReceivedAt).Take(Math.Clamp(limit ?? DefaultLimit, 1, MaxLimit)).ToListAsync(cancellationToken);
        return [.. letters.Select(d => new DeadLetterResponse(d.ReceivedAt, d.GatewayId, d.Topic, d.Reason, d.Payload))];
    }
}
