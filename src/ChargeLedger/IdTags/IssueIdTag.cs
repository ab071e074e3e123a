using ChargeLedger.Access;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace ChargeLedger.IdTags;

public sealed record IssueIdTag(string IdTag, DateTimeOffset? ExpiresAt, string? ParentIdTag)
{
    public sealed class Validator : AbstractValidator<IssueIdTag>
    {
        public Validator()
        {
            // OCPP 1.6 §7.25 IdToken: CiString20Type.
            RuleFor(x => x.IdTag).NotEmpty().MaximumLength(20).Matches("^[\\x20-\\x7E]+$").WithMessage("Must be 1-20 printable ASCII characters.");
            RuleFor(x => x.ParentIdTag!).MaximumLength(20).Matches("^[\\x20-\\x7E]+$").When(x => x.ParentIdTag is not null);
        }
    }
}

public sealed record IdTagExpiry(DateTimeOffset? ExpiresAt);

public sealed record IdTagResponse(string IdTag, DateTimeOffset? ExpiresAt, string? ParentIdTag, bool Blocked)
{
    public static IdTagResponse From(IdTag tag) => new(tag.Value, tag.ExpiresAt, tag.ParentIdTag, tag.Blocked);
}

public static class IssueIdTagEndpoint
{
    public static Task<ProblemDetails> ValidateAsync(IssueIdTag command, IValidator<IssueIdTag> validator) =>
        Validation.ProblemsAsync(command, validator);

    public static Task<IdTag?> LoadAsync(IssueIdTag command, LedgerStore store, CancellationToken cancellationToken) =>
        store.LoadIdTagAsync(command.IdTag, cancellationToken);

    [WolverinePost("/api/idtags")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static async Task<IResult> Post(IssueIdTag command, IdTag? existing, IDocumentSession session, LedgerStore store, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (existing is not null)
        {
            return existing.ExpiresAt == command.ExpiresAt && existing.ParentIdTag == command.ParentIdTag
                ? Results.Ok(IdTagResponse.From(existing))
                : Validation.Conflict($"IdTag {command.IdTag} is issued with other data.");
        }

        var issued = new IdTagIssued(command.IdTag, command.ExpiresAt, command.ParentIdTag, time.GetUtcNow());
        session.Events.StartStream(StreamKeys.IdTag(command.IdTag), issued);
        await IdTagEndpoints.CommitAndForgetAsync(session, store, command.IdTag, cancellationToken);
        return Results.Created($"/api/idtags/{Uri.EscapeDataString(command.IdTag)}", IdTagResponse.From(IdTag.Create(issued)));
    }
}

public static class IdTagEndpoints
{
    [WolverineGet("/api/idtags/{idTag}")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static async Task<IResult> Get(string idTag, LedgerStore store, CancellationToken cancellationToken) =>
        await store.LoadIdTagAsync(idTag, cancellationToken) is { } tag
            ? Results.Ok(IdTagResponse.From(tag))
            : Validation.NotFound($"Unknown idTag {idTag}.");

    /// <summary>Blocking an already blocked tag (and unblocking an unblocked one) is a no-op with 200.</summary>
    [WolverinePost("/api/idtags/{idTag}/block")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static Task<IResult> Block(string idTag, LedgerStore store, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken) =>
        SetBlocked(idTag, true, store, session, time, cancellationToken);

    [WolverinePost("/api/idtags/{idTag}/unblock")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static Task<IResult> Unblock(string idTag, LedgerStore store, IDocumentSession session, TimeProvider time, CancellationToken cancellationToken) =>
        SetBlocked(idTag, false, store, session, time, cancellationToken);

    /// <summary>Sets or clears (null) the expiry; an unchanged expiry is a no-op with 200.</summary>
    [WolverinePut("/api/idtags/{idTag}/expiry")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static async Task<IResult> PutExpiry(string idTag, IdTagExpiry body, LedgerStore store, IDocumentSession session, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (await store.LoadIdTagAsync(idTag, cancellationToken) is not { } tag)
        {
            return Validation.NotFound($"Unknown idTag {idTag}.");
        }

        if (tag.ExpiresAt == body.ExpiresAt)
        {
            return Results.Ok(IdTagResponse.From(tag));
        }

        session.Events.Append(StreamKeys.IdTag(idTag), tag.Version + 1, new IdTagExpiryChanged(tag.Value, body.ExpiresAt, time.GetUtcNow()));
        await CommitAndForgetAsync(session, store, idTag, cancellationToken);
        return Results.Ok(IdTagResponse.From(tag with { ExpiresAt = body.ExpiresAt }));
    }

    private static async Task<IResult> SetBlocked(string idTag, bool blocked, LedgerStore store, IDocumentSession session, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (await store.LoadIdTagAsync(idTag, cancellationToken) is not { } tag)
        {
            return Validation.NotFound($"Unknown idTag {idTag}.");
        }

        if (tag.Blocked == blocked)
        {
            return Results.Ok(IdTagResponse.From(tag));
        }

        var now = time.GetUtcNow();
        object change = blocked ? new IdTagBlocked(tag.Value, now) : new IdTagUnblocked(tag.Value, now);
        session.Events.Append(StreamKeys.IdTag(idTag), tag.Version + 1, change);
        await CommitAndForgetAsync(session, store, idTag, cancellationToken);
        return Results.Ok(IdTagResponse.From(tag with { Blocked = blocked }));
    }

    /// <summary>
    /// Commits now (Wolverine's transaction then has nothing left to save) and only then drops this node's remembered
    /// read of the tag, so a start on this node never decides on the state before the change.
    /// </summary>
    internal static async Task CommitAndForgetAsync(IDocumentSession session, LedgerStore store, string idTag, CancellationToken cancellationToken)
    {
        await session.SaveChangesAsync(cancellationToken);
        store.ForgetIdTag(idTag);
    }
}
