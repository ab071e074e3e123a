namespace ChargeLedger.Gateways;

/// <summary>
/// What MQTT CONNECT and topic routing need of a gateway, in one row: its password hash (PBKDF2, like charge points),
/// station and topic prefix. A document beside the stream, not an event: credentials rotate and must never travel with
/// replays or exports (RELIABILITY A12); the stream stays the record of what was registered and when.
/// </summary>
public sealed class GatewayAccount
{
    public string Id { get; set; } = "";
    public string StationId { get; set; } = "";
    public string TopicPrefix { get; set; } = "";
    public string PasswordHash { get; set; } = "";

    /// <summary>For a chosen password, its <see cref="Access.PasswordHasher.KeyedVerifier"/> under the nodes' key, if any.</summary>
    public string? PasswordVerifier { get; set; }
}
