namespace ChargeLedger.IdTags;

// Stream: idtag:{IDTAG upper-cased}.

public sealed record IdTagIssued(string IdTag, DateTimeOffset? ExpiresAt, string? ParentIdTag, DateTimeOffset IssuedAt);

public sealed record IdTagBlocked(string IdTag, DateTimeOffset BlockedAt);

public sealed record IdTagUnblocked(string IdTag, DateTimeOffset UnblockedAt);

public sealed record IdTagExpiryChanged(string IdTag, DateTimeOffset? ExpiresAt, DateTimeOffset ChangedAt);
