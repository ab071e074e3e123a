using System.Text.Json.Serialization;
using ChargeLedger.Alarms;
using ChargeLedger.ChargePoints;
using ChargeLedger.Commands;
using ChargeLedger.Gateways;
using ChargeLedger.IdTags;
using ChargeLedger.Stations;
using ChargeLedger.Tariffs;
using ChargeLedger.Telemetry;
using ChargeLedger.Transactions;

namespace ChargeLedger.Benchmarks;

/// <summary>
/// System.Text.Json source generation for every event type of <see cref="LedgerRegistration.EventTypes"/>, as Marten would
/// use it through <c>SystemTextJsonSerializer.UseTypeInfoResolver</c>. Measured against reflection metadata (issue 6,
/// session 9) it changed nothing: the same time and bytes per event in <see cref="EventSerializationBenchmarks"/>, and the
/// same cold start (ops/cold-start.sh, five runs each). Generated metadata only spares the reflection that builds it once
/// per type, and Marten's options (with their converters) are not the context's own, for which alone System.Text.Json
/// would use the generated serialization code. The host therefore does not use it; it lives here so the comparison can be
/// run again.
/// </summary>
[JsonSerializable(typeof(ChargePointRegistered))]
[JsonSerializable(typeof(ChargePointBooted))]
[JsonSerializable(typeof(ChargePointConnected))]
[JsonSerializable(typeof(ChargePointDisconnected))]
[JsonSerializable(typeof(ChargePointConnectionReplaced))]
[JsonSerializable(typeof(ChargePointWentSilent))]
[JsonSerializable(typeof(ChargePointHeardAgain))]
[JsonSerializable(typeof(ConnectorAvailabilitySet))]
[JsonSerializable(typeof(ConnectorStatusChanged))]
[JsonSerializable(typeof(ConnectorTransitionFlagged))]
[JsonSerializable(typeof(FirmwareStatusChanged))]
[JsonSerializable(typeof(DiagnosticsStatusChanged))]
[JsonSerializable(typeof(DataTransferReceived))]
[JsonSerializable(typeof(ChargePointMeterValuesRecorded))]
[JsonSerializable(typeof(UnknownTransactionReported))]
[JsonSerializable(typeof(TransactionStarted))]
[JsonSerializable(typeof(MeterValuesRecorded))]
[JsonSerializable(typeof(TransactionStopped))]
[JsonSerializable(typeof(TransactionAnomalyDetected))]
[JsonSerializable(typeof(TransactionPriced))]
[JsonSerializable(typeof(TransactionRepriced))]
[JsonSerializable(typeof(IdTagIssued))]
[JsonSerializable(typeof(IdTagBlocked))]
[JsonSerializable(typeof(IdTagUnblocked))]
[JsonSerializable(typeof(IdTagExpiryChanged))]
[JsonSerializable(typeof(StationRegistered))]
[JsonSerializable(typeof(TariffPublished))]
[JsonSerializable(typeof(TariffAssignedToStation))]
[JsonSerializable(typeof(ChargePointConfigurationReported))]
[JsonSerializable(typeof(CommandRequested))]
[JsonSerializable(typeof(CommandSent))]
[JsonSerializable(typeof(CommandAccepted))]
[JsonSerializable(typeof(CommandRejected))]
[JsonSerializable(typeof(CommandFailed))]
[JsonSerializable(typeof(CommandTimedOut))]
[JsonSerializable(typeof(CommandLateReplyReceived))]
[JsonSerializable(typeof(GatewayRegistered))]
[JsonSerializable(typeof(GatewayDevicesMapped))]
[JsonSerializable(typeof(TelemetryRecorded))]
[JsonSerializable(typeof(AlarmRaised))]
[JsonSerializable(typeof(AlarmAcknowledged))]
[JsonSerializable(typeof(AlarmCleared))]
[JsonSerializable(typeof(AlarmRuleDefined))]
public sealed partial class EventJsonContext : JsonSerializerContext;
