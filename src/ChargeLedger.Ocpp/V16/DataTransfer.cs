namespace ChargeLedger.Ocpp.V16;

// OCPP 1.6 §6.17, §6.18; Data is an opaque vendor string, kept as received.
public sealed record DataTransferRequest(string VendorId, string? MessageId = null, string? Data = null);

public sealed record DataTransferResponse(DataTransferStatus Status, string? Data = null);

// OCPP 1.6 §7.23
public enum DataTransferStatus
{
    Accepted,
    Rejected,
    UnknownMessageId,
    UnknownVendorId,
}
