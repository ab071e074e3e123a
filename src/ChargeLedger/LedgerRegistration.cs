using ChargeLedger.Access;
using ChargeLedger.Alarms;
using ChargeLedger.ChargePoints;
using ChargeLedger.Commands;
using ChargeLedger.Gateways;
using ChargeLedger.IdTags;
using ChargeLedger.Ledger;
using ChargeLedger.Stations;
using ChargeLedger.Tariffs;
using ChargeLedger.Telemetry;
using ChargeLedger.Transactions;
using FluentValidation;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Weasel.Postgresql;

namespace ChargeLedger;

public static class LedgerRegistration
{
    /// <summary>
    /// Every event type with its pinned name (STYLE.md): stored names never follow a rename or a namespace move.
    /// The names also enter each transaction event's hash, so they must never change.
    /// </summary>
    public static readonly IReadOnlyList<(Type Type, string Name)> EventTypes =
    [
        (typeof(ChargePointRegistered), "charge_point_registered"),
        (typeof(ChargePointBooted), "charge_point_booted"),
        (typeof(ChargePointConnected), "charge_point_connected"),
        (typeof(ChargePointDisconnected), "charge_point_disconnected"),
        (typeof(ChargePointConnectionReplaced), "charge_point_connection_replaced"),
        (typeof(ChargePointWentSilent), "charge_point_went_silent"),
        (typeof(ChargePointHeardAgain), "charge_point_heard_again"),
        (typeof(ConnectorAvailabilitySet), "connector_availability_set"),
        (typeof(ConnectorStatusChanged), "connector_status_changed"),
        (typeof(ConnectorTransitionFlagged), "connector_transition_flagged"),
        (typeof(FirmwareStatusChanged), "firmware_status_changed"),
        (typeof(DiagnosticsStatusChanged), "diagnostics_status_changed"),
        (typeof(DataTransferReceived), "data_transfer_received"),
        (typeof(ChargePointMeterValuesRecorded), "charge_point_meter_values_recorded"),
        (typeof(UnknownTransactionReported), "unknown_transaction_reported"),
        (typeof(TransactionStarted), "transaction_started"),
        (typeof(MeterValuesRecorded), "meter_values_recorded"),
        (typeof(TransactionStopped), "transaction_stopped"),
        (typeof(TransactionAnomalyDetected), "transaction_anomaly_detected"),
        (typeof(TransactionPriced), "transaction_priced"),
        (typeof(TransactionRepriced), "transaction_repriced"),
        (typeof(IdTagIssued), "id_tag_issued"),
        (typeof(IdTagBlocked), "id_tag_blocked"),
        (typeof(IdTagUnblocked), "id_tag_unblocked"),
        (typeof(IdTagExpiryChanged), "id_tag_expiry_changed"),
        (typeof(StationRegistered), "station_registered"),
        (typeof(TariffPublished), "tariff_published"),
        (typeof(TariffAssignedToStation), "tariff_assigned_to_station"),
        (typeof(ChargePointConfigurationReported), "charge_point_configuration_reported"),
        (typeof(CommandRequested), "command_requested"),
        (typeof(CommandSent), "command_sent"),
        (typeof(CommandAccepted), "command_accepted"),
        (typeof(CommandRejected), "command_rejected"),
        (typeof(CommandFailed), "command_failed"),
        (typeof(CommandTimedOut), "command_timed_out"),
        (typeof(CommandLateReplyReceived), "command_late_reply_received"),
        (typeof(GatewayRegistered), "gateway_registered"),
        (typeof(GatewayDevicesMapped), "gateway_devices_mapped"),
        (typeof(TelemetryRecorded), "telemetry_recorded"),
        (typeof(AlarmRaised), "alarm_raised"),
        (typeof(AlarmAcknowledged), "alarm_acknowledged"),
        (typeof(AlarmCleared), "alarm_cleared"),
        (typeof(AlarmRuleDefined), "alarm_rule_defined"),
    ];

    /// <summary>The write side's part of the Marten model: events, write-side documents, the transactionId sequence and the alarm subscription.</summary>
    public static StoreOptions AddChargeLedgerWriteModel(this StoreOptions options)
    {
        foreach (var (type, name) in EventTypes)
        {
            options.Events.MapEventType(type, name);
        }

        options.Schema.For<ChargePointCredential>();
        options.Schema.For<TransactionStartKey>();
        options.Schema.For<OpenTransactionIndex>().Index(x => x.ChargePointId);
        // ILongVersioned: the stream version is the document's numeric revision, so an older snapshot never replaces a newer one.
        options.Schema.For<ChargePointSnapshot>();
        options.Schema.For<GatewayAccount>();
        options.Schema.For<TelemetryMessageKey>().Index(x => x.MeasuredAt);
        options.Schema.For<TelemetryDeadLetter>().Index(x => x.ReceivedAt);
        options.Schema.For<OpenCommand>().Index(x => x.Since);

        // Alarms (issue 4): the rule index written with each rule definition, and the evaluator's state, written only by
        // AlarmSubscription in the daemon's transaction.
        options.Schema.For<AlarmRuleEntry>();
        options.Schema.For<AlarmRuleBook>();
        options.Schema.For<ChargePointAlarmState>();
        options.Schema.For<DeviceAlarmState>();
        options.Projections.Subscribe(new AlarmSubscription());
        options.Storage.ExtendedSchemaObjects.Add(
            new Sequence(new PostgresqlObjectName(options.DatabaseSchemaName, LedgerStore.TransactionIdSequence, SchemaUtils.IdentifierUsage.General)));
        options.Storage.ExtendedSchemaObjects.Add(GroupAppend.Function(options.DatabaseSchemaName));
        return options;
    }

    public static IServiceCollection AddChargeLedgerWriteSide(this IServiceCollection services, int passwordIterations,
        PasswordVerifierKey? passwordVerifierKey = null)
    {
        services.AddSingleton(new PasswordHasher(passwordIterations, passwordVerifierKey));
        services.AddSingleton<LedgerStore>();
        services.AddSingleton<LedgerWriter>();
        services.AddSingleton<LedgerPipeline>();
        services.AddSingleton<Audit.AuditVerifier>();
        services.AddSingleton<TransactionPricer>();
        services.AddSingleton<IValidator<RegisterStation>, RegisterStation.Validator>();
        services.AddSingleton<IValidator<RegisterChargePoint>, RegisterChargePoint.Validator>();
        services.AddSingleton<IValidator<IssueIdTag>, IssueIdTag.Validator>();
        services.AddSingleton<IValidator<PublishTariff>, PublishTariff.Validator>();
        services.AddSingleton<IValidator<AssignTariff>, AssignTariff.Validator>();
        services.AddSingleton<IValidator<RepriceTransaction>, RepriceTransaction.Validator>();
        services.AddSingleton<IValidator<RegisterGateway>, RegisterGateway.Validator>();
        services.AddSingleton<IValidator<MapGatewayDevices>, MapGatewayDevices.Validator>();
        services.AddSingleton<IValidator<SendCommand>, SendCommand.Validator>();
        services.AddSingleton<CommandDispatcher>();
        services.AddHostedService<CommandRelay>();
        services.AddSingleton<NodeIdentity>();
        services.AddSingleton<CommandSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<CommandSweeper>());
        services.AddSingleton<TelemetryIngestion>();
        services.AddSingleton<ITelemetryIngress>(sp => sp.GetRequiredService<TelemetryIngestion>());
        services.AddHostedService<TelemetryRetention>();
        services.AddSingleton<IValidator<DefineAlarmRule>, DefineAlarmRule.Validator>();
        services.AddSingleton<IValidator<AcknowledgeAlarm>, AcknowledgeAlarm.Validator>();
        return services;
    }
}
