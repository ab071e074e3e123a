namespace ChargeLedger.Ocpp.V16;

// OCPP 1.6 §6.47, §6.48
public sealed record StatusNotificationRequest(
    int ConnectorId,
    ChargePointErrorCode ErrorCode,
    ChargePointStatus Status,
    string? Info = null,
    DateTimeOffset? Timestamp = null,
    string? VendorId = null,
    string? VendorErrorCode = null);

public sealed record StatusNotificationResponse;

// OCPP 1.6 §7.6
public enum ChargePointErrorCode
{
    ConnectorLockFailure,
    EVCommunicationError,
    GroundFailure,
    HighTemperature,
    InternalError,
    LocalListConflict,
    NoError,
    OtherError,
    OverCurrentFailure,
    PowerMeterFailure,
    PowerSwitchFailure,
    ReaderFailure,
    ResetFailure,
    UnderVoltage,
    OverVoltage,
    WeakSignal,
}

// OCPP 1.6 §7.7
public enum ChargePointStatus
{
    Available,
    Preparing,
    Charging,
    SuspendedEVSE,
    SuspendedEV,
    Finishing,
    Reserved,
    Unavailable,
    Faulted,
}
