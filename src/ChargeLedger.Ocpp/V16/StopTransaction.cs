namespace ChargeLedger.Ocpp.V16;

// OCPP 1.6 §6.49, §6.50
public sealed record StopTransactionRequest(
    int MeterStop,
    DateTimeOffset Timestamp,
    int TransactionId,
    string? IdTag = null,
    Reason? Reason = null,
    IReadOnlyList<MeterValue>? TransactionData = null);

public sealed record StopTransactionResponse(IdTagInfo? IdTagInfo = null);

// OCPP 1.6 §7.42
public enum Reason
{
    EmergencyStop,
    EVDisconnected,
    HardReset,
    Local,
    Other,
    PowerLoss,
    Reboot,
    Remote,
    SoftReset,
    UnlockCommand,
    DeAuthorized,
}
