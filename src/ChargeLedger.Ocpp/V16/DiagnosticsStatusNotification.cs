namespace ChargeLedger.Ocpp.V16;

// OCPP 1.6 §6.19, §6.20
public sealed record DiagnosticsStatusNotificationRequest(DiagnosticsStatus Status);

public sealed record DiagnosticsStatusNotificationResponse;

// OCPP 1.6 §7.24
public enum DiagnosticsStatus
{
    Idle,
    Uploaded,
    UploadFailed,
    Uploading,
}
