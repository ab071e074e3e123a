namespace ChargeLedger.ChargePoints;

// Stream: chargepoint:{chargePointId}. Device time (from the charge point) and server time are named apart;
// Marten's IEvent.Timestamp is the recording time.

public sealed record ChargePointRegistered(string ChargePointId, string StationId, DateTimeOffset RegisteredAt);

public sealed record ChargePointBooted(
    string ChargePointId,
    string Vendor,
    string Model,
    string? SerialNumber,
    string? ChargeBoxSerialNumber,
    string? FirmwareVersion,
    string? Iccid,
    string? Imsi,
    string? MeterType,
    string? MeterSerialNumber,
    DateTimeOffset BootedAt);

public sealed record ChargePointConnected(string ChargePointId, string ConnectionId, string? RemoteAddress, DateTimeOffset ConnectedAt);

public sealed record ChargePointDisconnected(string ChargePointId, string ConnectionId, string Reason, DateTimeOffset DisconnectedAt);

/// <summary>A newer authenticated connection took over from an open one (RELIABILITY A8/A9: a security-relevant fact).</summary>
public sealed record ChargePointConnectionReplaced(string ChargePointId, string OldConnectionId, string NewConnectionId, DateTimeOffset ReplacedAt);

/// <summary>
/// The charge point's socket is open but nothing arrived for twice the heartbeat interval (DESIGN: connectivity changes are
/// events, heartbeats are not). <paramref name="LastHeardAt"/> and <paramref name="DetectedAt"/> are server times.
/// </summary>
public sealed record ChargePointWentSilent(string ChargePointId, string ConnectionId, DateTimeOffset LastHeardAt, DateTimeOffset DetectedAt);

/// <summary>A silent charge point sent something again on the same connection; <paramref name="SilentSince"/> is the silence's LastHeardAt.</summary>
public sealed record ChargePointHeardAgain(string ChargePointId, string ConnectionId, DateTimeOffset SilentSince, DateTimeOffset HeardAt);

/// <summary>OCPP 1.6 §7.2 AvailabilityType, as set by an operator's ChangeAvailability.</summary>
public enum ConnectorAvailability
{
    Operative,
    Inoperative,
}

/// <summary>
/// The charge point accepted an operator's ChangeAvailability (OCPP 1.6 §5.2); connector 0 is the whole charge point.
/// Unavailable while Inoperative is set is planned downtime, excluded from uptime. Appended by the command side (issue 5).
/// </summary>
public sealed record ConnectorAvailabilitySet(
    string ChargePointId,
    int ConnectorId,
    ConnectorAvailability Availability,
    string? CommandId,
    string SetBy,
    DateTimeOffset SetAt);

/// <summary>
/// The charge point's answer to an operator's GetConfiguration (OCPP 1.6 §5.8), kept as it came: configurationKey
/// ([{key, readonly, value}]) and unknownKey, each an empty array when absent.
/// </summary>
public sealed record ChargePointConfigurationReported(
    string ChargePointId,
    string CommandId,
    System.Text.Json.JsonElement ConfigurationKey,
    System.Text.Json.JsonElement UnknownKey,
    DateTimeOffset ReportedAt);

public sealed record ConnectorStatusChanged(
    string ChargePointId,
    int ConnectorId,
    ConnectorStatus Status,
    string ErrorCode,
    string? Info,
    string? VendorId,
    string? VendorErrorCode,
    DateTimeOffset StatusAt,
    DateTimeOffset ReceivedAt);

/// <summary>A status change the OCPP 1.6 §4.9 table does not list; recorded beside the change, never refused.</summary>
public sealed record ConnectorTransitionFlagged(string ChargePointId, int ConnectorId, ConnectorStatus? From, ConnectorStatus To, DateTimeOffset StatusAt);

public sealed record FirmwareStatusChanged(string ChargePointId, string Status, DateTimeOffset ReceivedAt);

public sealed record DiagnosticsStatusChanged(string ChargePointId, string Status, DateTimeOffset ReceivedAt);

public sealed record DataTransferReceived(string ChargePointId, string VendorId, string? MessageId, string? Data, DateTimeOffset ReceivedAt);

/// <summary>Meter values not tied to a transaction (connector 0, clock-aligned readings; RELIABILITY C4).</summary>
public sealed record ChargePointMeterValuesRecorded(string ChargePointId, int ConnectorId, IReadOnlyList<Transactions.MeterSample> Samples, DateTimeOffset ReceivedAt);

/// <summary>
/// A transaction message (StopTransaction, MeterValues) naming a transaction this charge point never started:
/// acknowledged per OCPP 1.6 §3.7 and kept here for reconciliation (RELIABILITY C3/C4).
/// </summary>
public sealed record UnknownTransactionReported(
    string ChargePointId,
    string Action,
    int? OcppTransactionId,
    int? ConnectorId,
    long? MeterStopWh,
    DateTimeOffset? DeviceTimestamp,
    string? IdTag,
    string? StopReason,
    IReadOnlyList<Transactions.MeterSample> Samples,
    DateTimeOffset ReceivedAt);
