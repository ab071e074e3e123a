namespace ChargeLedger.ChargePoints;

/// <summary>
/// A charge point's Basic-auth password hash (security profiles 1/2). Kept as a document beside the stream, not in
/// events: credentials rotate and must never travel with replays, exports or the event API (RELIABILITY A12).
/// </summary>
public sealed class ChargePointCredential
{
    public string Id { get; set; } = "";
    public string PasswordHash { get; set; } = "";

    /// <summary>For a chosen password, its <see cref="Access.PasswordHasher.KeyedVerifier"/> under the nodes' key, if any.</summary>
    public string? PasswordVerifier { get; set; }
}
