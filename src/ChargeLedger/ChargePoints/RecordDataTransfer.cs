using ChargeLedger.Ledger;

namespace ChargeLedger.ChargePoints;

/// <summary>OCPP 1.6 §4.3 DataTransfer from a charge point.</summary>
public sealed record RecordDataTransfer(ChargePointLedger Ledger, string VendorId, string? MessageId, string? Data);

/// <summary>OCPP 1.6 §7.23 DataTransferStatus.</summary>
public enum DataTransferStatus
{
    Accepted,
    Rejected,
    UnknownMessageId,
    UnknownVendorId,
}

public static class RecordDataTransferHandler
{
    /// <summary>
    /// No vendor extension is implemented, so the answer is UnknownVendorId (§4.3); the message is still kept,
    /// since vendors use DataTransfer for facts support needs later.
    /// </summary>
    public static Decision<DataTransferStatus> Handle(RecordDataTransfer command, TimeProvider time)
    {
        var cp = command.Ledger.ChargePoint;
        var received = new DataTransferReceived(cp.Id, command.VendorId, command.MessageId, command.Data, time.GetUtcNow());
        return Decision.Of(DataTransferStatus.UnknownVendorId, LedgerChange.Append(command.Ledger.StreamKey, cp.Version, received));
    }
}
