using System.Security.Claims;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.Shared;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace ChargeLedger.Commands;

/// <summary>POST /api/chargepoints/{id}/commands (CONTRACT.md Commands): an OCPP 1.6 action the central system may send, and its payload.</summary>
public sealed record SendCommand(string Action, JsonElement Payload)
{
    /// <summary>The Core, Firmware Management, Local Auth List, Reservation, Remote Trigger and Smart Charging calls of OCPP 1.6 (CS → CP).</summary>
    public static readonly IReadOnlySet<string> Actions = new HashSet<string>(StringComparer.Ordinal)
    {
        "RemoteStartTransaction", "RemoteStopTransaction", "Reset", "UnlockConnector", "ChangeAvailability", "ChangeConfiguration",
        "GetConfiguration", "ClearCache", "TriggerMessage", "DataTransfer", "SetChargingProfile", "ClearChargingProfile",
        "GetCompositeSchedule", "ReserveNow", "CancelReservation", "SendLocalList", "GetLocalListVersion", "UpdateFirmware", "GetDiagnostics",
    };

    public sealed class Validator : AbstractValidator<SendCommand>
    {
        public Validator()
        {
            RuleFor(x => x.Action).NotEmpty().Must(a => Actions.Contains(a))
                .WithMessage("Must be an OCPP 1.6 action the central system sends, e.g. RemoteStartTransaction, Reset, UnlockConnector.");
            RuleFor(x => x.Payload).Must(p => p.ValueKind == JsonValueKind.Object).WithMessage("Must be the action's JSON object.");
        }
    }
}

public sealed record CommandAcceptedResponse(string CommandId);

/// <summary>GET /api/commands/{id} (CONTRACT.md), with who asked, when it was sent and why it failed beside the contract's fields.</summary>
public sealed record CommandResponse(
    string CommandId,
    string ChargePointId,
    string Action,
    CommandStatus Status,
    JsonElement? Response,
    DateTimeOffset RequestedAt,
    DateTimeOffset? CompletedAt,
    JsonElement Payload,
    string RequestedBy,
    DateTimeOffset? SentAt,
    string? Reason,
    string? ErrorCode,
    int LateReplies)
{
    public static CommandResponse From(Command c) =>
        new(c.CommandId, c.ChargePointId, c.Action, c.Status, c.Response, c.RequestedAt, c.CompletedAt, c.Payload, c.RequestedBy, c.SentAt, c.Reason,
            c.ErrorCode, c.LateReplies);
}

public static class SendCommandEndpoint
{
    public static async Task<ProblemDetails> ValidateAsync(SendCommand command, IValidator<SendCommand> validator, CommandDispatcher dispatcher)
    {
        var problems = await Validation.ProblemsAsync(command, validator);
        if (!ReferenceEquals(problems, WolverineContinue.NoProblems))
        {
            return problems;
        }

        // Validated against the official schema before anything is sent (issue 5).
        return dispatcher.Validate(command.Action, command.Payload) is { } violation
            ? new ValidationProblemDetails(new Dictionary<string, string[]> { ["payload"] = [violation] })
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The request is invalid",
            }
            : WolverineContinue.NoProblems;
    }

    /// <summary>
    /// 202 {commandId} once the request is recorded; the call runs in the background (GET /api/commands/{id}). 404 for
    /// an unknown charge point; 409 (and the command recorded as Failed) when it is not connected.
    /// </summary>
    [WolverinePost("/api/chargepoints/{id}/commands")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static async Task<IResult> Post(string id, SendCommand command, CommandDispatcher dispatcher, IQuerySession session, ClaimsPrincipal user,
        CancellationToken cancellationToken)
    {
        if (!StreamKeys.IsValidId(id) || await session.Events.FetchStreamStateAsync(StreamKeys.ChargePoint(id), cancellationToken) is null)
        {
            return Validation.NotFound($"Unknown charge point {id}.");
        }

        var result = await dispatcher.RequestAsync(id, command.Action, command.Payload, user.Identity?.Name ?? "", cancellationToken);
        if (result.Status == CommandStatus.Failed)
        {
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: $"Charge point {id} is not connected.",
                extensions: new Dictionary<string, object?> { ["commandId"] = result.CommandId });
        }

        return Results.Accepted($"/api/commands/{result.CommandId}", new CommandAcceptedResponse(result.CommandId));
    }
}

public static class GetCommandEndpoint
{
    [WolverineGet("/api/commands/{id}")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static async Task<IResult> Get(string id, CommandDispatcher dispatcher, CancellationToken cancellationToken) =>
        await dispatcher.LoadAsync(id, cancellationToken) is { } command
            ? Results.Ok(CommandResponse.From(command))
            : Validation.NotFound($"Unknown command {id}.");
}
