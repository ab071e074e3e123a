using System.Text.Json;
using ChargeLedger.Ocpp.Framing;
using ChargeLedger.Ocpp.Schemas;

namespace ChargeLedger.Ocpp.Tests.Schemas;

public class OcppSchemaValidatorTests
{
    private const string Ocmf =
        "OCMF|{\"FV\":\"1.0\",\"GI\":\"ABL SBC-301\",\"RD\":[{\"TM\":\"2024-05-01T10:00:00,000+0000 S\",\"RV\":0.2,\"RI\":\"1-b:1.8.0\",\"RU\":\"kWh\"}]}|{\"SD\":\"3045022100\"}";

    private const string ChargingProfile =
        """{"connectorId":1,"csChargingProfiles":{"chargingProfileId":1,"stackLevel":0,"chargingProfilePurpose":"TxDefaultProfile","chargingProfileKind":"Absolute","chargingSchedule":{"chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":LIMIT}]}}}""";

    private static readonly OcppSchemaValidator Validator = OcppSchemaValidator.Ocpp16;

    private static readonly string TooLong = new('X', 21);

    // A valid CALL payload for every charge-point-initiated OCPP 1.6 action (Core, Firmware, Diagnostics).
    public static TheoryData<string, string> ValidRequests => new()
    {
        { "Authorize", """{"idTag":"04A2B3C4D5E6F7"}""" },
        { "BootNotification", """{"chargePointVendor":"VendorX","chargePointModel":"SingleSocketCharger","firmwareVersion":"1.2.3"}""" },
        { "DataTransfer", """{"vendorId":"com.example","messageId":"Ping","data":"{\"k\":1}"}""" },
        { "DiagnosticsStatusNotification", """{"status":"Uploaded"}""" },
        { "FirmwareStatusNotification", """{"status":"Installed"}""" },
        { "Heartbeat", "{}" },
        { "MeterValues", $$"""{"connectorId":1,"transactionId":42,"meterValue":[{"timestamp":"2024-05-01T10:00:00Z","sampledValue":[{"value":"1234.5","measurand":"Energy.Active.Import.Register","unit":"Wh","context":"Sample.Periodic"},{"value":{{JsonSerializer.Serialize(Ocmf)}},"format":"SignedData","context":"Sample.Clock"}]}]}""" },
        { "StartTransaction", """{"connectorId":1,"idTag":"04A2B3C4D5E6F7","meterStart":0,"timestamp":"2024-05-01T10:00:00.123+02:00"}""" },
        { "StatusNotification", """{"connectorId":1,"errorCode":"NoError","status":"Charging","timestamp":"2024-05-01T10:00:00Z"}""" },
        { "StopTransaction", """{"meterStop":12345,"timestamp":"2024-05-01T11:00:00Z","transactionId":42,"reason":"EVDisconnected","transactionData":[{"timestamp":"2024-05-01T11:00:00Z","sampledValue":[{"value":"12345"}]}]}""" },
    };

    // RELIABILITY B3: missing required field, wrong type, extra property, over-long string, bad enum, bad date.
    public static TheoryData<string, string, string, string> InvalidRequests => new()
    {
        { "Authorize", "{}", OcppErrorCodes.OccurenceConstraintViolation, "/idTag: required" },
        { "Authorize", """{"idTag":42}""", OcppErrorCodes.TypeConstraintViolation, "/idTag: type string" },
        { "Authorize", """{"idTag":"A","extra":1}""", OcppErrorCodes.FormationViolation, "/extra: additionalProperties" },
        { "Authorize", $$"""{"idTag":"{{TooLong}}"}""", OcppErrorCodes.PropertyConstraintViolation, "/idTag: maxLength 20 exceeded" },
        { "BootNotification", """{"chargePointVendor":"VendorX"}""", OcppErrorCodes.OccurenceConstraintViolation, "/chargePointModel: required" },
        { "BootNotification", """{"chargePointVendor":"VendorX","chargePointModel":7}""", OcppErrorCodes.TypeConstraintViolation, "/chargePointModel: type string" },
        { "BootNotification", """{"chargePointVendor":"VendorX","chargePointModel":"M","color":"red"}""", OcppErrorCodes.FormationViolation, "/color: additionalProperties" },
        { "BootNotification", $$"""{"chargePointVendor":"{{TooLong}}","chargePointModel":"M"}""", OcppErrorCodes.PropertyConstraintViolation, "/chargePointVendor: maxLength 20" },
        { "DataTransfer", """{"messageId":"Ping"}""", OcppErrorCodes.OccurenceConstraintViolation, "/vendorId: required" },
        { "DataTransfer", """{"vendorId":"v","data":{"k":1}}""", OcppErrorCodes.TypeConstraintViolation, "/data: type string" },
        { "DataTransfer", """{"vendorId":"v","extra":true}""", OcppErrorCodes.FormationViolation, "/extra: additionalProperties" },
        { "DataTransfer", $$"""{"vendorId":"v","messageId":"{{new string('m', 51)}}"}""", OcppErrorCodes.PropertyConstraintViolation, "/messageId: maxLength 50" },
        { "DiagnosticsStatusNotification", "{}", OcppErrorCodes.OccurenceConstraintViolation, "/status: required" },
        { "DiagnosticsStatusNotification", """{"status":1}""", OcppErrorCodes.TypeConstraintViolation, "/status: type string" },
        { "DiagnosticsStatusNotification", """{"status":"Idle","x":1}""", OcppErrorCodes.FormationViolation, "/x: additionalProperties" },
        { "DiagnosticsStatusNotification", """{"status":"Done"}""", OcppErrorCodes.PropertyConstraintViolation, "/status: enum" },
        { "FirmwareStatusNotification", "{}", OcppErrorCodes.OccurenceConstraintViolation, "/status: required" },
        { "FirmwareStatusNotification", """{"status":["Idle"]}""", OcppErrorCodes.TypeConstraintViolation, "/status: type string" },
        { "FirmwareStatusNotification", """{"status":"Idle","x":1}""", OcppErrorCodes.FormationViolation, "/x: additionalProperties" },
        { "FirmwareStatusNotification", """{"status":"installed"}""", OcppErrorCodes.PropertyConstraintViolation, "/status: enum" },
        { "Heartbeat", """{"uptime":5}""", OcppErrorCodes.FormationViolation, "/uptime: additionalProperties" },
        { "MeterValues", """{"connectorId":1}""", OcppErrorCodes.OccurenceConstraintViolation, "/meterValue: required" },
        { "MeterValues", """{"connectorId":"1","meterValue":[]}""", OcppErrorCodes.TypeConstraintViolation, "/connectorId: type integer" },
        { "MeterValues", """{"connectorId":1.5,"meterValue":[]}""", OcppErrorCodes.TypeConstraintViolation, "/connectorId: type integer" },
        { "MeterValues", """{"connectorId":1,"meterValue":[{"timestamp":"2024-05-01T10:00:00Z","sampledValue":[{"value":"1"}],"x":1}]}""", OcppErrorCodes.FormationViolation, "/meterValue/0/x: additionalProperties" },
        { "MeterValues", """{"connectorId":1,"meterValue":[{"timestamp":"2024-05-01T10:00:00Z","sampledValue":[{"value":"1","unit":"kwh"}]}]}""", OcppErrorCodes.PropertyConstraintViolation, "/meterValue/0/sampledValue/0/unit: enum" },
        { "MeterValues", """{"connectorId":1,"meterValue":[{"timestamp":"2024-05-01 10:00:00","sampledValue":[{"value":"1"}]}]}""", OcppErrorCodes.PropertyConstraintViolation, "/meterValue/0/timestamp: format date-time" },
        { "MeterValues", """{"connectorId":1,"meterValue":[{"timestamp":"2024-05-01T10:00:00Z","sampledValue":[{"value":1}]}]}""", OcppErrorCodes.TypeConstraintViolation, "/meterValue/0/sampledValue/0/value: type string" },
        { "StartTransaction", """{"connectorId":1,"meterStart":0,"timestamp":"2024-05-01T10:00:00Z"}""", OcppErrorCodes.OccurenceConstraintViolation, "/idTag: required" },
        { "StartTransaction", """{"connectorId":1,"idTag":"A","meterStart":"0","timestamp":"2024-05-01T10:00:00Z"}""", OcppErrorCodes.TypeConstraintViolation, "/meterStart: type integer" },
        { "StartTransaction", """{"connectorId":1,"idTag":"A","meterStart":0,"timestamp":"2024-05-01T10:00:00Z","x":1}""", OcppErrorCodes.FormationViolation, "/x: additionalProperties" },
        { "StartTransaction", $$"""{"connectorId":1,"idTag":"{{TooLong}}","meterStart":0,"timestamp":"2024-05-01T10:00:00Z"}""", OcppErrorCodes.PropertyConstraintViolation, "/idTag: maxLength 20" },
        { "StartTransaction", """{"connectorId":1,"idTag":"A","meterStart":0,"timestamp":"2024-02-30T10:00:00Z"}""", OcppErrorCodes.PropertyConstraintViolation, "/timestamp: format date-time" },
        { "StartTransaction", """{"connectorId":1,"idTag":"A","meterStart":0,"timestamp":"2024-05-01T10:00:00"}""", OcppErrorCodes.PropertyConstraintViolation, "/timestamp: format date-time" },
        { "StatusNotification", """{"connectorId":1,"errorCode":"NoError"}""", OcppErrorCodes.OccurenceConstraintViolation, "/status: required" },
        { "StatusNotification", """{"connectorId":true,"errorCode":"NoError","status":"Available"}""", OcppErrorCodes.TypeConstraintViolation, "/connectorId: type integer" },
        { "StatusNotification", """{"connectorId":1,"errorCode":"NoError","status":"Available","x":1}""", OcppErrorCodes.FormationViolation, "/x: additionalProperties" },
        { "StatusNotification", $$"""{"connectorId":1,"errorCode":"NoError","status":"Available","info":"{{new string('i', 51)}}"}""", OcppErrorCodes.PropertyConstraintViolation, "/info: maxLength 50" },
        { "StatusNotification", """{"connectorId":1,"errorCode":"NoError","status":"Broken"}""", OcppErrorCodes.PropertyConstraintViolation, "/status: enum" },
        { "StatusNotification", """{"connectorId":1,"errorCode":"NoError","status":"Available","timestamp":"yesterday"}""", OcppErrorCodes.PropertyConstraintViolation, "/timestamp: format date-time" },
        { "StopTransaction", """{"meterStop":1,"timestamp":"2024-05-01T10:00:00Z"}""", OcppErrorCodes.OccurenceConstraintViolation, "/transactionId: required" },
        { "StopTransaction", """{"meterStop":1,"timestamp":"2024-05-01T10:00:00Z","transactionId":"42"}""", OcppErrorCodes.TypeConstraintViolation, "/transactionId: type integer" },
        { "StopTransaction", """{"meterStop":1,"timestamp":"2024-05-01T10:00:00Z","transactionId":42,"x":1}""", OcppErrorCodes.FormationViolation, "/x: additionalProperties" },
        { "StopTransaction", $$"""{"meterStop":1,"timestamp":"2024-05-01T10:00:00Z","transactionId":42,"idTag":"{{TooLong}}"}""", OcppErrorCodes.PropertyConstraintViolation, "/idTag: maxLength 20" },
        { "StopTransaction", """{"meterStop":1,"timestamp":"2024-05-01T10:00:00Z","transactionId":42,"reason":"Unplugged"}""", OcppErrorCodes.PropertyConstraintViolation, "/reason: enum" },
        { "StopTransaction", """{"meterStop":1,"timestamp":"2024-05-01T10:00:00z","transactionId":42}""", OcppErrorCodes.PropertyConstraintViolation, "/timestamp: format date-time" },
    };

    [Theory]
    [MemberData(nameof(ValidRequests))]
    public void accepts_a_valid_request(string action, string payload)
    {
        Validator.HasAction(action).ShouldBeTrue();
        Validator.ValidateRequest(action, Parse(payload)).ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public void maps_the_first_schema_failure_to_an_ocpp_error_code(string action, string payload, string expectedCode, string expectedDescriptionStart)
    {
        var violation = Validator.ValidateRequest(action, Parse(payload)).ShouldNotBeNull();

        violation.ErrorCode.ShouldBe(expectedCode);
        violation.Description.ShouldStartWith(expectedDescriptionStart);
    }

    [Fact]
    public void covers_every_charge_point_initiated_action_with_an_invalid_sample()
    {
        var valid = ValidRequests.Select(row => row.Data.Item1).ToHashSet();
        var invalid = InvalidRequests.Select(row => row.Data.Item1).ToHashSet();

        invalid.SetEquals(valid).ShouldBeTrue();
    }

    [Fact]
    public void answers_not_implemented_for_an_unknown_action()
    {
        Validator.HasAction("FooBar").ShouldBeFalse();

        Validator.ValidateRequest("FooBar", Parse("{}")).ShouldNotBeNull().ErrorCode.ShouldBe(OcppErrorCodes.NotImplemented);
    }

    [Fact]
    public void knows_the_central_system_initiated_actions_too()
    {
        Validator.HasAction("RemoteStartTransaction").ShouldBeTrue();
        Validator.HasAction("SetChargingProfile").ShouldBeTrue();
    }

    [Theory]
    [InlineData("0.3")]
    [InlineData("0.7")]
    [InlineData("12345.6")]
    [InlineData("32")]
    public void accepts_decimal_multiples_of_one_tenth_without_floating_point_error(string limit)
    {
        var payload = Parse(ChargingProfile.Replace("LIMIT", limit, StringComparison.Ordinal));

        Validator.ValidateRequest("SetChargingProfile", payload).ShouldBeNull();
    }

    [Fact]
    public void rejects_a_value_that_is_not_a_multiple_of_one_tenth()
    {
        var payload = Parse(ChargingProfile.Replace("LIMIT", "0.15", StringComparison.Ordinal));

        var violation = Validator.ValidateRequest("SetChargingProfile", payload).ShouldNotBeNull();

        violation.ErrorCode.ShouldBe(OcppErrorCodes.PropertyConstraintViolation);
        violation.Description.ShouldContain("multipleOf 0.1");
    }

    [Fact]
    public void bounds_the_description_and_does_not_echo_large_input()
    {
        var hugeKey = new string('k', 10_000);
        var hugeValue = new string('v', 10_000);

        var violation = Validator.ValidateRequest("Authorize", Parse($$"""{"idTag":"A","{{hugeKey}}":"{{hugeValue}}"}""")).ShouldNotBeNull();

        violation.ErrorCode.ShouldBe(OcppErrorCodes.FormationViolation);
        violation.Description.Length.ShouldBeLessThanOrEqualTo(OcppSchemaValidator.MaxDescriptionLength);
        violation.Description.ShouldNotContain(hugeValue[..50]);
    }

    [Fact]
    public void follows_a_ref_to_name_the_failing_definition()
    {
        var violation = Validator.ValidateRequest("ExtendedTriggerMessage", Parse("""{"requestedMessage":"Nope"}""")).ShouldNotBeNull();

        violation.ErrorCode.ShouldBe(OcppErrorCodes.PropertyConstraintViolation);
        violation.Description.ShouldBe("/requestedMessage: enum value not allowed");
    }

    [Fact]
    public void names_a_missing_nested_property()
    {
        var violation = Validator.ValidateResponse("Authorize", Parse("""{"idTagInfo":{}}""")).ShouldNotBeNull();

        violation.ErrorCode.ShouldBe(OcppErrorCodes.OccurenceConstraintViolation);
        violation.Description.ShouldBe("/idTagInfo/status: required property missing");
    }

    [Fact]
    public void is_safe_to_use_from_many_threads()
    {
        var valid = Parse(ValidRequests.Single(row => row.Data.Item1 == "MeterValues").Data.Item2);
        var invalid = Parse("""{"connectorId":1,"meterValue":[{"timestamp":"nope","sampledValue":[{"value":"1"}]}]}""");
        var failures = 0;

        Parallel.For(0, 2_000, i =>
        {
            var result = Validator.ValidateRequest("MeterValues", i % 2 == 0 ? valid : invalid);
            if ((result is null) != (i % 2 == 0))
            {
                Interlocked.Increment(ref failures);
            }
        });

        failures.ShouldBe(0);
    }

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
