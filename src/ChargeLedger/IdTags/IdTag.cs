namespace ChargeLedger.IdTags;

/// <summary>OCPP 1.6 §7.2 AuthorizationStatus.</summary>
public enum AuthorizationStatus
{
    Accepted,
    Blocked,
    Expired,
    Invalid,
    ConcurrentTx,
}

public sealed record Authorization(AuthorizationStatus Status, DateTimeOffset? ExpiryDate, string? ParentIdTag);

/// <summary>The idTag aggregate (a card, app token or RFID tag).</summary>
public sealed record IdTag(string Value, DateTimeOffset? ExpiresAt, string? ParentIdTag, bool Blocked, long Version)
{
    public static IdTag Create(IdTagIssued e) => new(e.IdTag, e.ExpiresAt, e.ParentIdTag, false, 0);

    public IdTag Apply(IdTagBlocked e) => this with { Blocked = true };

    public IdTag Apply(IdTagUnblocked e) => this with { Blocked = false };

    public IdTag Apply(IdTagExpiryChanged e) => this with { ExpiresAt = e.ExpiresAt };

    public static IdTag? Advance(IdTag? state, object @event)
    {
        var next = (state, @event) switch
        {
            (null, IdTagIssued e) => Create(e),
            (null, _) => null,
            (_, IdTagBlocked e) => state.Apply(e),
            (_, IdTagUnblocked e) => state.Apply(e),
            (_, IdTagExpiryChanged e) => state.Apply(e),
            _ => state,
        };
        return next is null ? null : next with { Version = (state?.Version ?? 0) + 1 };
    }

    public static IdTag? Fold(IEnumerable<object> events) => events.Aggregate((IdTag?)null, Advance);

    /// <summary>Decides an authorization (OCPP 1.6 §4.2/§5.x IdTagInfo): unknown is Invalid, then Blocked, then Expired.</summary>
    public static Authorization Authorize(IdTag? tag, DateTimeOffset now) => tag switch
    {
        null => new Authorization(AuthorizationStatus.Invalid, null, null),
        { Blocked: true } => new Authorization(AuthorizationStatus.Blocked, tag.ExpiresAt, tag.ParentIdTag),
        { ExpiresAt: { } expiry } when expiry <= now => new Authorization(AuthorizationStatus.Expired, expiry, tag.ParentIdTag),
        _ => new Authorization(AuthorizationStatus.Accepted, tag.ExpiresAt, tag.ParentIdTag),
    };
}
