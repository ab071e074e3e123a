namespace ChargeLedger.Ocpp.V16;

// OCPP 1.6 §6.3, §6.4
public sealed record BootNotificationRequest(
    string ChargePointVendor,
    string ChargePointModel,
    string? ChargePointSerialNumber = null,
    string? ChargeBoxSerialNumber = null,
    string? FirmwareVersion = null,
    string? Iccid = null,
    string? Imsi = null,
    string? MeterType = null,
    string? MeterSerialNumber = null);

public sealed record BootNotificationResponse(RegistrationStatus Status, DateTimeOffset CurrentTime, int Interval);

// OCPP 1.6 §7.44
public enum RegistrationStatus
{
    Accepted,
    Pending,
    Rejected,
}
