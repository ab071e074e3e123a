namespace ChargeLedger.Ocpp.V16;

// OCPP 1.6 §6.25, §6.26
public sealed record FirmwareStatusNotificationRequest(FirmwareStatus Status);

public sealed record FirmwareStatusNotificationResponse;

// OCPP 1.6 §7.25
public enum FirmwareStatus
{
    Downloaded,
    DownloadFailed,
    Downloading,
    Idle,
    InstallationFailed,
    Installing,
    Installed,
}
