using System.Security.Claims;
using ChargeLedger.Access;
using ChargeLedger.Shared;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Wolverine.Http;

namespace ChargeLedger.Alarms;

/// <summary>The body of POST /api/alarms/{id}/acknowledge; it may be empty or omitted.</summary>
public sealed record AcknowledgeAlarm(string? Note)
{
    public const int MaxNoteLength = 1000;

    public sealed class Validator : AbstractValidator<AcknowledgeAlarm>
    {
        public Validator()
        {
            RuleFor(x => x.Note!).MaximumLength(MaxNoteLength).When(x => x.Note is not null);
        }
    }
}

/// <summary>The write side's view of one alarm stream: only what acknowledging needs.</summary>
public sealed record Alarm(string AlarmId, string Kind, AlarmAcknowledged? Acknowledgement, DateTimeOffset? ClearedAt, long Version)
{
    public static Alarm? Fold(IReadOnlyList<JasperFx.Events.IEvent> events)
    {
        Alarm? alarm = null;
        foreach (var e in events)
        {
            alarm = (alarm, e.Data) switch
            {
                (null, AlarmRaised r) => new Alarm(r.AlarmId, r.Kind, null, null, 0),
                (null, _) => null,
                ({ Acknowledgement: null }, AlarmAcknowledged a) => alarm with { Acknowledgement = a },
                (_, AlarmCleared c) => alarm with { ClearedAt = c.ClearedAt },
                _ => alarm,
            };
        }

        return alarm is null ? null : alarm with { Version = events[^1].Version };
    }

    public static async Task<Alarm?> LoadAsync(IQuerySession session, string alarmId, CancellationToken cancellationToken) =>
        Fold(await session.Events.FetchStreamAsync(StreamKeys.Alarm(alarmId), token: cancellationToken));

    /// <summary>The acknowledgement to record, or null when the alarm is acknowledged already (the first one stands).</summary>
    public AlarmAcknowledged? Acknowledge(string by, DateTimeOffset at, string? note) =>
        Acknowledgement is null ? new AlarmAcknowledged(AlarmId, by, at, note) : null;
}

public sealed record AlarmAcknowledgementResponse(string Id, string AcknowledgedBy, DateTimeOffset AcknowledgedAt, string? Note);

public static class AcknowledgeAlarmEndpoint
{
    /// <summary>
    /// 200 with the acknowledgement; acknowledging again is 200 with the first acknowledgement and no new event; 404 for an
    /// unknown alarm. A cleared alarm can still be acknowledged (an operator confirms having seen it). Read from the
    /// alarm's stream, not the read model, so an alarm is acknowledgeable as soon as it is raised. The body
    /// (<c>{"note":"…"}</c>) is optional, so it is read here rather than bound; and with no body parameter Wolverine would
    /// take a loaded <see cref="Alarm"/> parameter for the body, so the alarm is loaded here too.
    /// </summary>
    [WolverinePost("/api/alarms/{id}/acknowledge")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static async Task<IResult> Post(string id, HttpRequest request, IValidator<AcknowledgeAlarm> validator, IDocumentSession session,
        ClaimsPrincipal user, TimeProvider time, CancellationToken cancellationToken)
    {
        var command = await ReadAsync(request, cancellationToken);
        if (command is null)
        {
            return Validation.Invalid("body", "Must be empty or a JSON object such as {\"note\":\"…\"}.");
        }

        var validation = await validator.ValidateAsync(command, cancellationToken);
        if (!validation.IsValid)
        {
            return Results.Problem(Validation.Problem(validation));
        }

        if (await Alarm.LoadAsync(session, id, cancellationToken) is not { } alarm)
        {
            return Validation.NotFound($"Unknown alarm {id}.");
        }

        if (alarm.Acknowledge(user.Identity?.Name ?? "", time.GetUtcNow(), command.Note) is not { } acknowledged)
        {
            var done = alarm.Acknowledgement!;
            return Results.Ok(new AlarmAcknowledgementResponse(id, done.AcknowledgedBy, done.AcknowledgedAt, done.Note));
        }

        // The evaluator may append a clear to the same stream at any moment, so no expected version here; the stream
        // row lock of the append orders the two, and only the first acknowledgement counts (Fold and the read model).
        session.Events.Append(StreamKeys.Alarm(id), acknowledged);
        return Results.Ok(new AlarmAcknowledgementResponse(id, acknowledged.AcknowledgedBy, acknowledged.AcknowledgedAt, acknowledged.Note));
    }

    /// <summary>No body (or not JSON) is no note; null when the JSON body is not an acknowledgement.</summary>
    private static async Task<AcknowledgeAlarm?> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType() || request.ContentLength == 0)
        {
            return new AcknowledgeAlarm(null);
        }

        try
        {
            return await request.ReadFromJsonAsync<AcknowledgeAlarm>(cancellationToken) ?? new AcknowledgeAlarm(null);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
