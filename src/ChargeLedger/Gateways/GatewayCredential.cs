namespace ChargeLedger.Gateways;

/// <summary>
/// A gateway's MQTT password hash (PBKDF2, like charge points). A document beside the stream, not an event: credentials
/// rotate and must never travel with replays or exports (RELIABILITY A12).
/// </summary>
public sealed class GatewayCredential
{
    public string Id { get; set; } = "";
    public string PasswordHash { get; set; } = "";
}
