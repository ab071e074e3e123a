using System.Text.Json;

namespace ChargeLedger.Commands;

// Stream: command:{commandId}. One operator command to one charge point, from request to outcome (CONTRACT.md Commands).

public sealed record CommandRequested(string CommandId, string ChargePointId, string Action, JsonElement Payload, string RequestedBy, DateTimeOffset RequestedAt);

/// <summary>The CALL went out on the charge point's connection with our OCPP message id, from node <paramref name="NodeId"/>.</summary>
public sealed record CommandSent(string CommandId, string MessageId, DateTimeOffset SentAt, string? NodeId = null);

/// <summary>A CALLRESULT with no status, or one meaning success (Accepted, Unlocked, Scheduled).</summary>
public sealed record CommandAccepted(string CommandId, JsonElement Response, DateTimeOffset CompletedAt);

/// <summary>A CALLRESULT whose status is anything else (Rejected, NotSupported, Failed, ...).</summary>
public sealed record CommandRejected(string CommandId, JsonElement Response, DateTimeOffset CompletedAt);

/// <summary>A CALLERROR, a charge point that was not connected, or a connection lost before the reply.</summary>
public sealed record CommandFailed(string CommandId, string Reason, string? ErrorCode, string? ErrorDescription, DateTimeOffset CompletedAt);

/// <summary>No reply within ChargeLedger:Ocpp:CallTimeoutSeconds.</summary>
public sealed record CommandTimedOut(string CommandId, DateTimeOffset CompletedAt);

/// <summary>A reply that arrived after the timeout: recorded for support and disputes, never applied.</summary>
public sealed record CommandLateReplyReceived(string CommandId, JsonElement? Response, string? ErrorCode, string? ErrorDescription, DateTimeOffset ReceivedAt);
