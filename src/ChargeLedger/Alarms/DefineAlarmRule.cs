using System.Security.Claims;
using ChargeLedger.Access;
using ChargeLedger.Gateways;
using ChargeLedger.Shared;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace ChargeLedger.Alarms;

/// <summary>A telemetry threshold rule (CONTRACT.md MQTT: alarm rules). Threshold and forSeconds are required; null marks them missing.</summary>
public sealed record DefineAlarmRule(string Id, string Kind, string Measurand, string Comparator, decimal? Threshold, int? ForSeconds, string Severity)
{
    public const int MaxForSeconds = 86_400;

    public sealed class Validator : AbstractValidator<DefineAlarmRule>
    {
        public Validator()
        {
            RuleFor(x => x.Id).MustBeLedgerId();
            RuleFor(x => x.Kind).NotEmpty().Must(k => DeviceKinds.All.Contains(k))
                .WithMessage($"Must be one of: {string.Join(", ", DeviceKinds.All)}.");
            RuleFor(x => x.Measurand).NotEmpty().MaximumLength(100);
            RuleFor(x => x.Comparator).NotEmpty().Must(c => Comparators.All.Contains(c))
                .WithMessage($"Must be one of: {string.Join(" ", Comparators.All)}.");
            RuleFor(x => x.Threshold).NotNull();
            RuleFor(x => x.ForSeconds).NotNull().InclusiveBetween(0, MaxForSeconds);
            RuleFor(x => x.Severity).NotEmpty().Must(s => AlarmSeverities.All.Contains(s))
                .WithMessage($"Must be one of: {string.Join(", ", AlarmSeverities.All)}.");
        }
    }

    public bool SameAs(AlarmRuleDefined e) =>
        e.Kind == Kind && e.Measurand == Measurand && e.Comparator == Comparator && e.Threshold == Threshold && e.ForSeconds == ForSeconds
        && e.Severity == Severity;

    public AlarmRuleDefined ToEvent(int version, string definedBy, DateTimeOffset at) =>
        new(Id, Kind, Measurand, Comparator, Threshold!.Value, ForSeconds!.Value, Severity, version, definedBy, at);
}

public sealed record AlarmRuleResponse(
    string Id,
    string Kind,
    string Measurand,
    string Comparator,
    decimal Threshold,
    int ForSeconds,
    string Severity,
    int Version,
    string DefinedBy,
    DateTimeOffset DefinedAt)
{
    public static AlarmRuleResponse From(AlarmRuleDefined e) =>
        new(e.RuleId, e.Kind, e.Measurand, e.Comparator, e.Threshold, e.ForSeconds, e.Severity, e.Version, e.DefinedBy, e.DefinedAt);
}

/// <summary>
/// A write-side index of the rules, one document per rule holding its latest definition, stored in the same transaction
/// as the definition: listing the rules is then a read of a small table, not a scan of every event for one type.
/// </summary>
public sealed record AlarmRuleEntry
{
    public string Id { get; init; } = "";

    public required AlarmRuleDefined Latest { get; init; }
}

/// <summary>The rule's stream: its latest definition and the stream version (0: no such rule).</summary>
public sealed record AlarmRuleHistory(AlarmRuleDefined? Latest, long StreamVersion)
{
    public static async Task<AlarmRuleHistory> LoadAsync(IQuerySession session, string ruleId, CancellationToken cancellationToken)
    {
        var events = await session.Events.FetchStreamAsync(StreamKeys.AlarmRule(ruleId), token: cancellationToken);
        return new AlarmRuleHistory(events.Select(e => e.Data).OfType<AlarmRuleDefined>().LastOrDefault(), events.Count == 0 ? 0 : events[^1].Version);
    }
}

public static class DefineAlarmRuleEndpoint
{
    public static Task<ProblemDetails> ValidateAsync(DefineAlarmRule command, IValidator<DefineAlarmRule> validator) =>
        Validation.ProblemsAsync(command, validator);

    public static Task<AlarmRuleHistory> LoadAsync(DefineAlarmRule command, IQuerySession session, CancellationToken cancellationToken) =>
        AlarmRuleHistory.LoadAsync(session, command.Id, cancellationToken);

    /// <summary>
    /// As POST /api/stations: 201 when new, 200 when the same rule is posted again, 409 when the id holds another rule.
    /// A rule is changed with PUT /api/alarm-rules/{id}, which records a new version.
    /// </summary>
    [WolverinePost("/api/alarm-rules")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static IResult Post(DefineAlarmRule command, AlarmRuleHistory history, IDocumentSession session, ClaimsPrincipal user, TimeProvider time)
    {
        if (history.Latest is { } existing)
        {
            return command.SameAs(existing)
                ? Results.Ok(AlarmRuleResponse.From(existing))
                : Validation.Conflict($"Alarm rule {command.Id} is defined with other data; change it with PUT /api/alarm-rules/{command.Id}.");
        }

        var defined = command.ToEvent(1, user.Identity?.Name ?? "", time.GetUtcNow());
        session.Events.StartStream(StreamKeys.AlarmRule(command.Id), defined);
        session.Store(new AlarmRuleEntry { Id = command.Id, Latest = defined });
        return Results.Created($"/api/alarm-rules/{command.Id}", AlarmRuleResponse.From(defined));
    }
}

public static class RedefineAlarmRuleEndpoint
{
    public static Task<ProblemDetails> ValidateAsync(string id, DefineAlarmRule command, IValidator<DefineAlarmRule> validator) =>
        id != command.Id
            ? Task.FromResult<ProblemDetails>(Validation.Problem(new FluentValidation.Results.ValidationResult(
                [new FluentValidation.Results.ValidationFailure(nameof(DefineAlarmRule.Id), "Must be the id in the path.")])))
            : Validation.ProblemsAsync(command, validator);

    public static Task<AlarmRuleHistory> LoadAsync(string id, IQuerySession session, CancellationToken cancellationToken) =>
        AlarmRuleHistory.LoadAsync(session, id, cancellationToken);

    /// <summary>
    /// A new version of an existing rule (200), from the next telemetry event in the store's order on; the same rule again
    /// is 200 with no new version; 404 for an unknown id; 409 when the kind or measurand would change. Concurrent changes
    /// are serialised by the expected stream version.
    /// </summary>
    [WolverinePut("/api/alarm-rules/{id}")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static IResult Put(string id, DefineAlarmRule command, AlarmRuleHistory history, IDocumentSession session, ClaimsPrincipal user,
        TimeProvider time)
    {
        if (history.Latest is not { } existing)
        {
            return Validation.NotFound($"Unknown alarm rule {id}.");
        }

        if (command.SameAs(existing))
        {
            return Results.Ok(AlarmRuleResponse.From(existing));
        }

        // What a rule watches is fixed: a new version watching other devices would leave the old version's active alarms
        // without the samples that clear them.
        if (command.Kind != existing.Kind || command.Measurand != existing.Measurand)
        {
            return Validation.Conflict($"Alarm rule {id} watches {existing.Kind} {existing.Measurand}; define a new rule to watch something else.");
        }

        var defined = command.ToEvent(existing.Version + 1, user.Identity?.Name ?? "", time.GetUtcNow());
        session.Events.Append(StreamKeys.AlarmRule(id), history.StreamVersion + 1, defined);
        session.Store(new AlarmRuleEntry { Id = id, Latest = defined });
        return Results.Ok(AlarmRuleResponse.From(defined));
    }
}

public static class AlarmRuleEndpoints
{
    /// <summary>Every rule in its latest version, by id; from the write-side index, so a rule just defined is listed.</summary>
    [WolverineGet("/api/alarm-rules")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static async Task<IReadOnlyList<AlarmRuleResponse>> Get(IQuerySession session, CancellationToken cancellationToken)
    {
        var entries = await session.Query<AlarmRuleEntry>().ToListAsync(cancellationToken);
        return [.. entries.OrderBy(e => e.Id, StringComparer.Ordinal).Select(e => AlarmRuleResponse.From(e.Latest))];
    }

    [WolverineGet("/api/alarm-rules/{id}")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static async Task<IResult> GetOne(string id, IQuerySession session, CancellationToken cancellationToken) =>
        (await AlarmRuleHistory.LoadAsync(session, id, cancellationToken)).Latest is { } rule
            ? Results.Ok(AlarmRuleResponse.From(rule))
            : Validation.NotFound($"Unknown alarm rule {id}.");
}
