using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ChargeLedger.Ocpp.Schemas;
using ChargeLedger.Ocpp.V16;

namespace ChargeLedger.Ocpp.Tests.V16;

public class OcppJsonContextTests
{
    private static readonly DateTimeOffset Now = new(2024, 5, 1, 12, 30, 15, 123, TimeSpan.FromHours(2));
    private static readonly IdTagInfo Accepted = new(AuthorizationStatus.Accepted, Now.AddDays(30), "PARENT-1");

    // Every CALLRESULT payload the central system sends for charge-point-initiated actions.
    public static TheoryData<string, string> Responses => new()
    {
        { "BootNotification", Serialize(new BootNotificationResponse(RegistrationStatus.Accepted, Now, 300), OcppJsonContext.Default.BootNotificationResponse) },
        { "BootNotification", Serialize(new BootNotificationResponse(RegistrationStatus.Pending, Now.AddTicks(1), 60), OcppJsonContext.Default.BootNotificationResponse) },
        { "Heartbeat", Serialize(new HeartbeatResponse(DateTimeOffset.UnixEpoch), OcppJsonContext.Default.HeartbeatResponse) },
        { "Authorize", Serialize(new AuthorizeResponse(Accepted), OcppJsonContext.Default.AuthorizeResponse) },
        { "Authorize", Serialize(new AuthorizeResponse(new IdTagInfo(AuthorizationStatus.Invalid)), OcppJsonContext.Default.AuthorizeResponse) },
        { "StartTransaction", Serialize(new StartTransactionResponse(Accepted, 42), OcppJsonContext.Default.StartTransactionResponse) },
        { "StartTransaction", Serialize(new StartTransactionResponse(new IdTagInfo(AuthorizationStatus.ConcurrentTx), 0), OcppJsonContext.Default.StartTransactionResponse) },
        { "StopTransaction", Serialize(new StopTransactionResponse(new IdTagInfo(AuthorizationStatus.Blocked)), OcppJsonContext.Default.StopTransactionResponse) },
        { "StopTransaction", Serialize(new StopTransactionResponse(), OcppJsonContext.Default.StopTransactionResponse) },
        { "StatusNotification", Serialize(new StatusNotificationResponse(), OcppJsonContext.Default.StatusNotificationResponse) },
        { "MeterValues", Serialize(new MeterValuesResponse(), OcppJsonContext.Default.MeterValuesResponse) },
        { "DataTransfer", Serialize(new DataTransferResponse(DataTransferStatus.UnknownVendorId), OcppJsonContext.Default.DataTransferResponse) },
        { "DataTransfer", Serialize(new DataTransferResponse(DataTransferStatus.Accepted, "{\"ok\":true}"), OcppJsonContext.Default.DataTransferResponse) },
        { "FirmwareStatusNotification", Serialize(new FirmwareStatusNotificationResponse(), OcppJsonContext.Default.FirmwareStatusNotificationResponse) },
        { "DiagnosticsStatusNotification", Serialize(new DiagnosticsStatusNotificationResponse(), OcppJsonContext.Default.DiagnosticsStatusNotificationResponse) },
    };

    [Theory]
    [MemberData(nameof(Responses))]
    public void every_response_we_send_validates_against_the_schema(string action, string json)
    {
        using var document = JsonDocument.Parse(json);

        OcppSchemaValidator.Ocpp16.ValidateResponse(action, document.RootElement).ShouldBeNull();
    }

    [Fact]
    public void writes_timestamps_in_utc_with_z()
    {
        var json = Serialize(new BootNotificationResponse(RegistrationStatus.Accepted, Now, 300), OcppJsonContext.Default.BootNotificationResponse);

        json.ShouldBe("""{"status":"Accepted","currentTime":"2024-05-01T10:30:15.123Z","interval":300}""");
    }

    [Fact]
    public void writes_whole_seconds_without_a_fraction_and_keeps_sub_millisecond_precision()
    {
        Serialize(new HeartbeatResponse(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero)), OcppJsonContext.Default.HeartbeatResponse)
            .ShouldBe("""{"currentTime":"2024-05-01T10:00:00Z"}""");
        Serialize(new HeartbeatResponse(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero).AddTicks(1)), OcppJsonContext.Default.HeartbeatResponse)
            .ShouldBe("""{"currentTime":"2024-05-01T10:00:00.0000001Z"}""");
    }

    [Fact]
    public void omits_nulls_and_empty_responses_are_empty_objects()
    {
        Serialize(new StopTransactionResponse(), OcppJsonContext.Default.StopTransactionResponse).ShouldBe("{}");
        Serialize(new StatusNotificationResponse(), OcppJsonContext.Default.StatusNotificationResponse).ShouldBe("{}");
        Serialize(new AuthorizeResponse(new IdTagInfo(AuthorizationStatus.Accepted)), OcppJsonContext.Default.AuthorizeResponse)
            .ShouldBe("""{"idTagInfo":{"status":"Accepted"}}""");
    }

    [Fact]
    public void reads_a_meter_values_request_and_keeps_signed_values_byte_for_byte()
    {
        const string Signed = "OCMF|{\"FV\":\"1.0\",\"RD\":[{\"TM\":\"2024-05-01T10:00:00,000+0000 S\",\"RV\":0.20}]}|{\"SD\":\"30450221\\u00e9+/=\"}";
        var json = $$"""{"connectorId":2,"transactionId":42,"meterValue":[{"timestamp":"2024-05-01T12:00:00+02:00","sampledValue":[{"value":{{JsonSerializer.Serialize(Signed)}},"format":"SignedData","context":"Sample.Clock","measurand":"Energy.Active.Import.Register","unit":"kWh","phase":"L1-N","location":"Outlet"}]}]}""";

        var request = JsonSerializer.Deserialize(json, OcppJsonContext.Default.MeterValuesRequest).ShouldNotBeNull();

        request.ConnectorId.ShouldBe(2);
        request.TransactionId.ShouldBe(42);
        var meterValue = request.MeterValue.ShouldHaveSingleItem();
        meterValue.Timestamp.ShouldBe(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero));
        var sample = meterValue.SampledValue.ShouldHaveSingleItem();
        sample.Value.ShouldBe(Signed);
        sample.Format.ShouldBe("SignedData");
        sample.Measurand.ShouldBe("Energy.Active.Import.Register");
        sample.Phase.ShouldBe("L1-N");
        sample.Location.ShouldBe("Outlet");
        sample.Unit.ShouldBe("kWh");
    }

    [Fact]
    public void reads_every_valid_request_sample_into_its_dto()
    {
        foreach (var row in Schemas.OcppSchemaValidatorTests.ValidRequests)
        {
            var (action, json) = row.Data;
            var typeInfo = OcppJsonContext.Default.GetTypeInfo(Type.GetType($"ChargeLedger.Ocpp.V16.{action}Request, ChargeLedger.Ocpp", throwOnError: true)!);

            JsonSerializer.Deserialize(json, typeInfo.ShouldNotBeNull()).ShouldNotBeNull();
        }
    }

    [Fact]
    public void reads_enums_by_their_spec_names()
    {
        var request = JsonSerializer.Deserialize(
            """{"connectorId":0,"errorCode":"EVCommunicationError","status":"SuspendedEVSE"}""",
            OcppJsonContext.Default.StatusNotificationRequest).ShouldNotBeNull();

        request.ErrorCode.ShouldBe(ChargePointErrorCode.EVCommunicationError);
        request.Status.ShouldBe(ChargePointStatus.SuspendedEVSE);
        request.Timestamp.ShouldBeNull();
    }

    [Fact]
    public void refuses_a_missing_required_constructor_parameter()
    {
        Should.Throw<JsonException>(() => JsonSerializer.Deserialize("{}", OcppJsonContext.Default.AuthorizeRequest));
    }

    [Fact]
    public void round_trips_a_stop_transaction_request()
    {
        var request = new StopTransactionRequest(
            12_345,
            new DateTimeOffset(2024, 5, 1, 11, 0, 0, TimeSpan.Zero),
            42,
            "04A2B3C4",
            Reason.DeAuthorized,
            [new MeterValue(new DateTimeOffset(2024, 5, 1, 11, 0, 0, TimeSpan.Zero), [new SampledValue("12345", Unit: "Wh")])]);

        var json = Serialize(request, OcppJsonContext.Default.StopTransactionRequest);
        using var document = JsonDocument.Parse(json);

        OcppSchemaValidator.Ocpp16.ValidateRequest("StopTransaction", document.RootElement).ShouldBeNull();
        json.ShouldContain("\"reason\":\"DeAuthorized\"");
        var back = JsonSerializer.Deserialize(json, OcppJsonContext.Default.StopTransactionRequest).ShouldNotBeNull();
        back.Reason.ShouldBe(Reason.DeAuthorized);
        back.TransactionData.ShouldNotBeNull().Single().SampledValue.Single().ShouldBe(new SampledValue("12345", Unit: "Wh"));
    }

    private static string Serialize<T>(T value, JsonTypeInfo<T> typeInfo) => JsonSerializer.Serialize(value, typeInfo);
}
