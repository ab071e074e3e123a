using ChargeLedger.Ledger;

namespace ChargeLedger.ChargePoints;

/// <summary>OCPP 1.6 §4.2 BootNotification from an authenticated, registered charge point.</summary>
public sealed record RecordBoot(
    ChargePointLedger Ledger,
    string Vendor,
    string Model,
    string? SerialNumber,
    string? ChargeBoxSerialNumber,
    string? FirmwareVersion,
    string? Iccid,
    string? Imsi,
    string? MeterType,
    string? MeterSerialNumber);

public enum RegistrationStatus
{
    Accepted,
    Pending,
    Rejected,
}

public sealed record BootResult(RegistrationStatus Status, DateTimeOffset CurrentTime);

public static class RecordBootHandler
{
    /// <summary>
    /// Only registered charge points get past the WebSocket handshake, so every boot is Accepted; each boot is kept
    /// (reboots and firmware changes are history operators and support need).
    /// </summary>
    public static Decision<BootResult> Handle(RecordBoot command, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var cp = command.Ledger.ChargePoint;
        var booted = new ChargePointBooted(cp.Id, command.Vendor, command.Model, command.SerialNumber, command.ChargeBoxSerialNumber,
            command.FirmwareVersion, command.Iccid, command.Imsi, command.MeterType, command.MeterSerialNumber, now);
        return Decision.Of(new BootResult(RegistrationStatus.Accepted, now), LedgerChange.Append(command.Ledger.StreamKey, cp.Version, booted));
    }
}
