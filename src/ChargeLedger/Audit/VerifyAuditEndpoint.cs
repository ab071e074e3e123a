using ChargeLedger.Access;
using ChargeLedger.Shared;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Wolverine.Http;

namespace ChargeLedger.Audit;

public static class VerifyAuditEndpoint
{
    /// <summary>
    /// Recomputes the hash chains (finance): of one transaction ("CP-1:42" or the bare OCPP id), or of every one. 200
    /// with the report either way (<c>intact</c> says whether anything is broken); 404 for an unknown transaction.
    /// A full run streams the whole store; its progress goes to the log. Command-line twin: <c>audit verify</c>.
    /// </summary>
    [WolverineGet("/api/admin/audit/verify")]
    [Authorize(Roles = Roles.FinanceOrAdmin)]
    public static async Task<IResult> Get(string? transactionId, AuditVerifier verifier, ILogger<AuditVerifier> logger, CancellationToken cancellationToken)
    {
        string? streamKey = null;
        if (transactionId is not null && (streamKey = await verifier.FindStreamAsync(transactionId, cancellationToken)) is null)
        {
            return Validation.NotFound($"Unknown transaction {transactionId}.");
        }

        var report = await verifier.VerifyAsync(streamKey,
            p => logger.LogInformation("Audit verify: {Streams}/{Total} streams, {Events} events, {Broken} broken", p.StreamsChecked, p.StreamsTotal,
                p.EventsChecked, p.Broken),
            b => logger.LogWarning("Audit verify: stream {Stream} breaks at version {Version} (sequence {Sequence}): {Reason}; expected {Expected}, stored {Stored}",
                b.Stream, b.Version, b.Sequence, b.Reason, b.Expected, b.Stored),
            cancellationToken);
        return Results.Ok(report);
    }
}
