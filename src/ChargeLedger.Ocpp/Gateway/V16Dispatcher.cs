using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ChargeLedger.ChargePoints;
using ChargeLedger.IdTags;
using ChargeLedger.Ledger;
using ChargeLedger.Ocpp.Framing;
using ChargeLedger.Ocpp.Schemas;
using ChargeLedger.Ocpp.V16;
using ChargeLedger.Transactions;
using Microsoft.Extensions.Options;
using Wolverine;
using DomainAuthorization = ChargeLedger.IdTags.Authorization;
using V16AuthorizationStatus = ChargeLedger.Ocpp.V16.AuthorizationStatus;

namespace ChargeLedger.Ocpp.Gateway;

/// <summary>
/// Translates OCPP 1.6 CALLs from charge points into ledger commands and their decisions back into CALLRESULTs.
/// Every payload is validated against the official schema first; an invalid one gets the mapped CALLERROR and
/// produces no domain event (DESIGN rule 4).
/// </summary>
public sealed class V16Dispatcher(
    LedgerPipeline pipeline,
    IMessageBus bus,
    OcppSchemaValidator schemas,
    IOptions<OcppOptions> options,
    TimeProvider time)
{
    // Actions of OCPP 1.6 (and its security whitepaper) that a charge point may send but this central system does
    // not support yet: NotSupported, while a name OCPP 1.6 does not define at all is NotImplemented (OCPP-J 1.6 §4.2.3).
    private static readonly HashSet<string> KnownUnsupported = new(StringComparer.Ordinal)
    {
        "SecurityEventNotification", "SignCertificate", "LogStatusNotification", "SignedFirmwareStatusNotification",
    };

    public async Task<CallReply> HandleAsync(ChargePointConnection connection, OcppCall call, CancellationToken cancellationToken)
    {
        if (!IsChargePointAction(call.Action))
        {
            return KnownUnsupported.Contains(call.Action) || schemas.HasAction(call.Action)
                ? CallReply.Error(OcppErrorCodes.NotSupported, $"{call.Action} is not supported from a charge point")
                : CallReply.Error(OcppErrorCodes.NotImplemented, $"Unknown action {Truncate(call.Action)}");
        }

        if (schemas.ValidateRequest(call.Action, call.Payload) is { } violation)
        {
            return CallReply.Error(violation.ErrorCode, violation.Description);
        }

        var ledger = connection.Ledger;
        return call.Action switch
        {
            "BootNotification" => await BootAsync(ledger, Read(call, OcppJsonContext.Default.BootNotificationRequest), cancellationToken),
            "Heartbeat" => CallReply.Result(new HeartbeatResponse(time.GetUtcNow()), OcppJsonContext.Default.HeartbeatResponse),
            "StatusNotification" => await StatusAsync(ledger, Read(call, OcppJsonContext.Default.StatusNotificationRequest), cancellationToken),
            "Authorize" => await AuthorizeAsync(ledger, Read(call, OcppJsonContext.Default.AuthorizeRequest), cancellationToken),
            "StartTransaction" => await StartAsync(ledger, Read(call, OcppJsonContext.Default.StartTransactionRequest), cancellationToken),
            "MeterValues" => await MeterValuesAsync(ledger, Read(call, OcppJsonContext.Default.MeterValuesRequest), cancellationToken),
            "StopTransaction" => await StopAsync(ledger, Read(call, OcppJsonContext.Default.StopTransactionRequest), cancellationToken),
            "DataTransfer" => await DataTransferAsync(ledger, Read(call, OcppJsonContext.Default.DataTransferRequest), cancellationToken),
            "FirmwareStatusNotification" => await DeviceAsync(ledger, DeviceNotificationKind.Firmware,
                Read(call, OcppJsonContext.Default.FirmwareStatusNotificationRequest).Status.ToString(),
                CallReply.Result(new FirmwareStatusNotificationResponse(), OcppJsonContext.Default.FirmwareStatusNotificationResponse), cancellationToken),
            "DiagnosticsStatusNotification" => await DeviceAsync(ledger, DeviceNotificationKind.Diagnostics,
                Read(call, OcppJsonContext.Default.DiagnosticsStatusNotificationRequest).Status.ToString(),
                CallReply.Result(new DiagnosticsStatusNotificationResponse(), OcppJsonContext.Default.DiagnosticsStatusNotificationResponse), cancellationToken),
            _ => CallReply.Error(OcppErrorCodes.NotImplemented, $"Unknown action {Truncate(call.Action)}"),
        };
    }

    /// <summary>
    /// A fact about the connection itself (connected, disconnected, silent, heard again) through the same pipeline as its
    /// CALLs; the caller holds the connection's ledger gate.
    /// </summary>
    public Task<bool> RecordAsync(ChargePointConnection connection, object command, CancellationToken cancellationToken) =>
        pipeline.ExecuteAsync<bool>(bus, connection.Ledger, command, cancellationToken);

    public static bool IsChargePointAction(string action) => action is "BootNotification" or "Heartbeat" or "StatusNotification" or "Authorize"
        or "StartTransaction" or "MeterValues" or "StopTransaction" or "DataTransfer" or "FirmwareStatusNotification" or "DiagnosticsStatusNotification";

    private async Task<CallReply> BootAsync(ChargePointLedger ledger, BootNotificationRequest request, CancellationToken cancellationToken)
    {
        var result = await pipeline.ExecuteAsync<BootResult>(bus, ledger, new RecordBoot(ledger, request.ChargePointVendor, request.ChargePointModel,
            request.ChargePointSerialNumber, request.ChargeBoxSerialNumber, request.FirmwareVersion, request.Iccid, request.Imsi,
            request.MeterType, request.MeterSerialNumber), cancellationToken);
        var status = result.Status switch
        {
            ChargePoints.RegistrationStatus.Accepted => V16.RegistrationStatus.Accepted,
            ChargePoints.RegistrationStatus.Pending => V16.RegistrationStatus.Pending,
            _ => V16.RegistrationStatus.Rejected,
        };
        return CallReply.Result(new BootNotificationResponse(status, result.CurrentTime, options.Value.HeartbeatIntervalSeconds),
            OcppJsonContext.Default.BootNotificationResponse);
    }

    private async Task<CallReply> StatusAsync(ChargePointLedger ledger, StatusNotificationRequest request, CancellationToken cancellationToken)
    {
        await pipeline.ExecuteAsync<bool>(bus, ledger, new RecordStatusNotification(ledger, request.ConnectorId,
            Enum.Parse<ConnectorStatus>(request.Status.ToString()), request.ErrorCode.ToString(), request.Info, request.VendorId,
            request.VendorErrorCode, request.Timestamp), cancellationToken);
        return CallReply.Result(new StatusNotificationResponse(), OcppJsonContext.Default.StatusNotificationResponse);
    }

    private async Task<CallReply> AuthorizeAsync(ChargePointLedger ledger, AuthorizeRequest request, CancellationToken cancellationToken)
    {
        var authorization = await pipeline.ExecuteAsync<DomainAuthorization>(bus, ledger, new AuthorizeIdTag(ledger, request.IdTag), cancellationToken);
        return CallReply.Result(new AuthorizeResponse(ToIdTagInfo(authorization)), OcppJsonContext.Default.AuthorizeResponse);
    }

    private async Task<CallReply> StartAsync(ChargePointLedger ledger, StartTransactionRequest request, CancellationToken cancellationToken)
    {
        var result = await pipeline.ExecuteAsync<StartTransactionResult>(bus, ledger, new StartTransaction(ledger, request.ConnectorId,
            request.IdTag, request.MeterStart, request.Timestamp, request.ReservationId), cancellationToken);
        return CallReply.Result(new StartTransactionResponse(ToIdTagInfo(result.IdTagInfo), result.TransactionId),
            OcppJsonContext.Default.StartTransactionResponse);
    }

    private async Task<CallReply> MeterValuesAsync(ChargePointLedger ledger, MeterValuesRequest request, CancellationToken cancellationToken)
    {
        await pipeline.ExecuteAsync<bool>(bus, ledger, new RecordMeterValues(ledger, request.ConnectorId, request.TransactionId,
            Samples(request.MeterValue)), cancellationToken);
        return CallReply.Result(new MeterValuesResponse(), OcppJsonContext.Default.MeterValuesResponse);
    }

    private async Task<CallReply> StopAsync(ChargePointLedger ledger, StopTransactionRequest request, CancellationToken cancellationToken)
    {
        var result = await pipeline.ExecuteAsync<StopTransactionResult>(bus, ledger, new StopTransaction(ledger, request.TransactionId,
            request.IdTag, request.MeterStop, request.Timestamp, request.Reason?.ToString(), Samples(request.TransactionData ?? [])), cancellationToken);
        var info = result.IdTagInfo is { } authorization ? ToIdTagInfo(authorization) : null;
        return CallReply.Result(new StopTransactionResponse(info), OcppJsonContext.Default.StopTransactionResponse);
    }

    private async Task<CallReply> DataTransferAsync(ChargePointLedger ledger, DataTransferRequest request, CancellationToken cancellationToken)
    {
        var status = await pipeline.ExecuteAsync<ChargePoints.DataTransferStatus>(bus, ledger,
            new RecordDataTransfer(ledger, request.VendorId, request.MessageId, request.Data), cancellationToken);
        return CallReply.Result(new DataTransferResponse(Enum.Parse<V16.DataTransferStatus>(status.ToString())), OcppJsonContext.Default.DataTransferResponse);
    }

    private async Task<CallReply> DeviceAsync(ChargePointLedger ledger, DeviceNotificationKind kind, string status, CallReply reply,
        CancellationToken cancellationToken)
    {
        await pipeline.ExecuteAsync<bool>(bus, ledger, new RecordDeviceNotification(ledger, kind, status), cancellationToken);
        return reply;
    }

    /// <summary>The schema check passed, so deserialisation cannot fail on shape.</summary>
    private static T Read<T>(OcppCall call, JsonTypeInfo<T> typeInfo) =>
        call.Payload.Deserialize(typeInfo) ?? throw new JsonException($"{call.Action} payload is null");

    private static List<MeterSample> Samples(IReadOnlyList<MeterValue> values) =>
        [.. values.SelectMany(v => v.SampledValue.Select(s => new MeterSample(v.Timestamp, s.Value, s.Measurand, s.Phase, s.Unit, s.Context, s.Format, s.Location)))];

    private static IdTagInfo ToIdTagInfo(DomainAuthorization authorization) => new(
        authorization.Status switch
        {
            IdTags.AuthorizationStatus.Accepted => V16AuthorizationStatus.Accepted,
            IdTags.AuthorizationStatus.Blocked => V16AuthorizationStatus.Blocked,
            IdTags.AuthorizationStatus.Expired => V16AuthorizationStatus.Expired,
            IdTags.AuthorizationStatus.ConcurrentTx => V16AuthorizationStatus.ConcurrentTx,
            _ => V16AuthorizationStatus.Invalid,
        },
        authorization.ExpiryDate,
        authorization.ParentIdTag);

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
