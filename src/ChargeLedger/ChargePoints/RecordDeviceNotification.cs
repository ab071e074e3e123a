using ChargeLedger.Ledger;

namespace ChargeLedger.ChargePoints;

/// <summary>OCPP 1.6 §4.4 DiagnosticsStatusNotification and §4.5 FirmwareStatusNotification.</summary>
public sealed record RecordDeviceNotification(ChargePointLedger Ledger, DeviceNotificationKind Kind, string Status);

public enum DeviceNotificationKind
{
    Firmware,
    Diagnostics,
}

public static class RecordDeviceNotificationHandler
{
    public static Decision<bool> Handle(RecordDeviceNotification command, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var cp = command.Ledger.ChargePoint;
        object changed = command.Kind == DeviceNotificationKind.Firmware
            ? new FirmwareStatusChanged(cp.Id, command.Status, now)
            : new DiagnosticsStatusChanged(cp.Id, command.Status, now);
        return Decision.Of(true, LedgerChange.Append(command.Ledger.StreamKey, cp.Version, changed));
    }
}
