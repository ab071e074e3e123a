using System.Text.Json;
using ChargeLedger.Ledger;

namespace ChargeLedger.Commands;

public enum CallOutcomeKind
{
    Result,
    Error,
    TimedOut,
    NotConnected,
    ConnectionLost,
}

/// <summary>What became of one CALL we sent: the CALLRESULT payload, the CALLERROR, or why there was none.</summary>
public sealed record CallOutcome(CallOutcomeKind Kind, JsonElement? Payload = null, string? ErrorCode = null, string? ErrorDescription = null);

/// <summary>
/// Our calls to charge points (CONTRACT.md Commands), implemented by the OCPP gateway that holds the sockets. One
/// outstanding CALL per charge point (OCPP-J 1.6 §4.1.1): later calls queue in order behind it.
/// </summary>
public interface IChargePointCalls
{
    /// <summary>Null when <paramref name="payload"/> is valid for <paramref name="action"/> (the OCPP 1.6 request schema), else why not.</summary>
    string? Validate(string action, JsonElement payload);

    bool IsConnected(string chargePointId);

    /// <summary>
    /// Queues the CALL on the charge point's connection and returns its outcome. <paramref name="sent"/> is told our
    /// message id when the frame went out; <paramref name="lateReply"/> gets a reply that arrives after the timeout.
    /// <paramref name="effect"/> turns an outcome into a write-side command on the charge point's ledger (e.g. the
    /// availability a ChangeAvailability set), run in order with the charge point's own messages; null for none.
    /// </summary>
    Task<CallOutcome> CallAsync(string chargePointId, string action, JsonElement payload, Func<string, Task> sent, Func<CallOutcome, Task> lateReply,
        Func<ChargePointLedger, CallOutcome, object?> effect, CancellationToken cancellationToken);
}
