namespace ChargeLedger.Ocpp.V16;

// OCPP 1.6 §7.15 IdTagInfo, §7.2 AuthorizationStatus
public sealed record IdTagInfo(AuthorizationStatus Status, DateTimeOffset? ExpiryDate = null, string? ParentIdTag = null);

public enum AuthorizationStatus
{
    Accepted,
    Blocked,
    Expired,
    Invalid,
    ConcurrentTx,
}
