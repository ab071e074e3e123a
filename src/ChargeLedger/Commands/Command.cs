using System.Text.Json;

namespace ChargeLedger.Commands;

public enum CommandStatus
{
    Requested,
    Sent,
    Accepted,
    Rejected,
    Failed,
    TimedOut,
}

/// <summary>A command's life folded from its stream (GET /api/commands/{id} reads it straight from the events).</summary>
public sealed record Command(
    string CommandId,
    string ChargePointId,
    string Action,
    JsonElement Payload,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    CommandStatus Status,
    JsonElement? Response,
    string? ErrorCode,
    string? Reason,
    DateTimeOffset? SentAt,
    DateTimeOffset? CompletedAt,
    int LateReplies)
{
    public static Command Create(CommandRequested e) =>
        new(e.CommandId, e.ChargePointId, e.Action, e.Payload, e.RequestedBy, e.RequestedAt, CommandStatus.Requested, null, null, null, null, null, 0);

    public static Command? Advance(Command? state, object @event) => (state, @event) switch
    {
        (null, CommandRequested e) => Create(e),
        (null, _) => null,
        (_, CommandSent e) => state with { Status = CommandStatus.Sent, SentAt = e.SentAt },
        (_, CommandAccepted e) => state with { Status = CommandStatus.Accepted, Response = e.Response, CompletedAt = e.CompletedAt },
        (_, CommandRejected e) => state with { Status = CommandStatus.Rejected, Response = e.Response, CompletedAt = e.CompletedAt },
        (_, CommandFailed e) => state with { Status = CommandStatus.Failed, ErrorCode = e.ErrorCode, Reason = e.Reason, CompletedAt = e.CompletedAt },
        (_, CommandTimedOut e) => state with { Status = CommandStatus.TimedOut, Reason = "No reply within the call timeout", CompletedAt = e.CompletedAt },
        (_, CommandLateReplyReceived) => state with { LateReplies = state.LateReplies + 1 },
        _ => state,
    };

    public static Command? Fold(IEnumerable<object> events) => events.Aggregate((Command?)null, Advance);
}
