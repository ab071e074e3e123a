using System.Text.Json;
using ChargeLedger.Ocpp.Framing;
using ChargeLedger.Ocpp.Schemas;
using CsCheck;

namespace ChargeLedger.Ocpp.Tests.Schemas;

/// <summary>
/// The compiled schemas against JsonSchema.Net as <see cref="OcppSchemaValidator"/> configures it, over every request and
/// response schema of OCPP 1.6: the same verdict, and the same exception where JsonSchema.Net throws (a lone surrogate).
/// </summary>
public class CompiledSchemaTests
{
    private const string Valid = "valid";
    private const string Invalid = "invalid";
    private const string Throws = nameof(InvalidOperationException);

    private const string MeterValues =
        """{"connectorId":CONNECTOR,"transactionId":42,"meterValue":[{"timestamp":"2024-05-01T10:00:00Z","sampledValue":[{"value":"1","unit":"Wh"},{"value":VALUE,"unit":UNIT}]}]}""";

    private const string StartTransaction = """{"connectorId":1,"idTag":ID_TAG,"meterStart":0,"timestamp":TIMESTAMP}""";

    private const string ChargingProfile =
        """{"connectorId":1,"csChargingProfiles":{"chargingProfileId":1,"stackLevel":0,"chargingProfilePurpose":"TxDefaultProfile","chargingProfileKind":"Absolute","chargingSchedule":{"chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":START,"limit":LIMIT}]}}}""";

    private static readonly OcppSchemaValidator Validator = OcppSchemaValidator.Ocpp16;

    public static TheoryData<string, bool> EverySchema => [.. Validator.Schemas.Select(s => (s.Action, s.IsResponse)).Order()];

    public static TheoryData<string, bool, string, string> EdgeCases => new()
    {
        // Integer fields: JsonSchema.Net 8 takes any number whose double has no fraction.
        { "MeterValues", false, Meter(connector: "1.0"), Valid },
        { "MeterValues", false, Meter(connector: "1e2"), Valid },
        { "MeterValues", false, Meter(connector: "-0"), Valid },
        { "MeterValues", false, Meter(connector: "1E+2"), Valid },
        { "MeterValues", false, Meter(connector: "1e400"), Valid },
        { "MeterValues", false, Meter(connector: "12345678901234567890123"), Valid },
        { "MeterValues", false, Meter(connector: "0.99999999999999999999"), Valid },
        { "MeterValues", false, Meter(connector: "1.5"), Invalid },
        { "MeterValues", false, Meter(connector: "1e-1"), Invalid },
        { "MeterValues", false, Meter(connector: "\"1\""), Invalid },
        { "MeterValues", false, Meter(connector: "null"), Invalid },

        // Nested arrays: meterValue[].sampledValue[].
        { "MeterValues", false, Meter(unit: "\"kwh\""), Invalid },
        { "MeterValues", false, Meter(unit: "\"\\u0057h\""), Valid },
        { "MeterValues", false, Meter(value: "1"), Invalid },
        { "MeterValues", false, Meter(value: "\"\\uD800\""), Valid },
        { "MeterValues", false, """{"connectorId":1,"meterValue":[{"timestamp":"2024-05-01T10:00:00Z","sampledValue":[{"unit":"Wh"}]}]}""", Invalid },
        { "MeterValues", false, """{"connectorId":1,"meterValue":[{"timestamp":"2024-05-01T10:00:00Z","sampledValue":[]}]}""", Valid },
        { "MeterValues", false, """{"connectorId":1,"meterValue":[{"timestamp":"2024-05-01T10:00:00Z"}]}""", Invalid },
        { "MeterValues", false, """{"connectorId":1,"meterValue":{}}""", Invalid },
        { "MeterValues", false, """{"connectorId":1,"meterValue":[[]]}""", Invalid },
        { "MeterValues", false, """{"connectorId":1,"meterValue":[{"timestamp":"2024-05-01T10:00:00Z","sampledValue":[{"value":"1","x":1}]}]}""", Invalid },

        // Repeated names: JsonSchema.Net checks the first value, and "required" is met by any.
        { "MeterValues", false, """{"connectorId":1,"connectorId":"x","meterValue":[]}""", Valid },
        { "MeterValues", false, """{"connectorId":"x","connectorId":1,"meterValue":[]}""", Invalid },
        { "MeterValues", false, """{"connector\u0049d":1,"meterValue":[]}""", Valid },
        { "MeterValues", false, """{"connectorId":1,"meterValue":[],"\uD800":1}""", Throws },

        // maxLength counts graphemes.
        { "StartTransaction", false, Start(idTag: new string('A', 20)), Valid },
        { "StartTransaction", false, Start(idTag: new string('A', 21)), Invalid },
        { "StartTransaction", false, Start(idTag: string.Concat(Enumerable.Repeat("日", 20))), Valid },
        { "StartTransaction", false, Start(idTag: string.Concat(Enumerable.Repeat("e\u0301", 20))), Valid },
        { "StartTransaction", false, Start(idTag: string.Concat(Enumerable.Repeat("e\u0301", 21))), Invalid },
        { "StartTransaction", false, Start(idTag: string.Concat(Enumerable.Repeat("\\u00e9", 20))), Valid },
        { "StartTransaction", false, Start(idTag: "\\uD800"), Throws },
        { "Authorize", false, """{"idTag":"\uDC00"}""", Throws },

        // date-time: RFC 3339 as System.Text.Json reads it.
        { "StartTransaction", false, Start(timestamp: "2024-05-01T10:00:00.123+02:00"), Valid },
        { "StartTransaction", false, Start(timestamp: "2024-02-29T10:00:00Z"), Valid },
        { "StartTransaction", false, Start(timestamp: "2024-05-01\\u005410:00:00Z"), Valid },
        { "StartTransaction", false, Start(timestamp: "2023-02-29T10:00:00Z"), Invalid },
        { "StartTransaction", false, Start(timestamp: "2024-05-01T10:00:00z"), Invalid },
        { "StartTransaction", false, Start(timestamp: "2024-05-01t10:00:00Z"), Invalid },
        { "StartTransaction", false, Start(timestamp: "2024-05-01 10:00:00Z"), Invalid },
        { "StartTransaction", false, Start(timestamp: "2024-05-01T10:00:00"), Invalid },
        { "StartTransaction", false, Start(timestamp: "2024-05-01T10:00:00Z\\n"), Invalid },
        { "StartTransaction", false, Start(timestamp: "2024-05-01T10:00:00.Z"), Invalid },

        // multipleOf 0.1 in decimal arithmetic.
        { "SetChargingProfile", false, Profile("0.3"), Valid },
        { "SetChargingProfile", false, Profile("1e2"), Valid },
        { "SetChargingProfile", false, Profile("-0.0"), Valid },
        { "SetChargingProfile", false, Profile("5e-1"), Valid },
        { "SetChargingProfile", false, Profile("0.15"), Invalid },
        { "SetChargingProfile", false, Profile("1.5e-1"), Invalid },
        { "SetChargingProfile", false, Profile("0.30000000000000004"), Invalid },

        // $ref, minItems, uri, an object with no properties.
        { "ExtendedTriggerMessage", false, """{"requestedMessage":"Heartbeat"}""", Valid },
        { "ExtendedTriggerMessage", false, """{"requestedMessage":"Nope"}""", Invalid },
        { "GetInstalledCertificateIds", true, """{"status":"Accepted","certificateHashData":[]}""", Invalid },
        { "UpdateFirmware", false, """{"location":"ftp://fw.example.com/v2.bin","retrieveDate":"2024-05-01T10:00:00Z"}""", Valid },
        { "UpdateFirmware", false, """{"location":"not a uri","retrieveDate":"2024-05-01T10:00:00Z"}""", Invalid },
        { "LogStatusNotification", true, "{}", Valid },
        { "LogStatusNotification", true, """{"x":1}""", Invalid },
        { "Heartbeat", false, "[]", Invalid },
    };

    [Theory]
    [MemberData(nameof(EverySchema))]
    public void accepts_every_generated_valid_payload_as_json_schema_net_does(string action, bool isResponse)
    {
        var source = Source(action, isResponse);

        new SchemaPayloads(source, mutate: false).For(source).Sample(json =>
        {
            using var document = JsonDocument.Parse(json);
            Validator.IsValidByJsonSchemaNet(action, isResponse, document.RootElement).ShouldBeTrue(json);
            Validator.IsValidCompiled(action, isResponse, document.RootElement).ShouldBeTrue(json);
        }, iter: 150);
    }

    [Theory]
    [MemberData(nameof(EverySchema))]
    public void gives_json_schema_net_verdict_on_mutated_payloads(string action, bool isResponse)
    {
        var source = Source(action, isResponse);
        var valid = 0;
        var invalid = 0;

        new SchemaPayloads(source, mutate: true).For(source).Sample(json =>
        {
            using var document = JsonDocument.Parse(json);
            var expected = Outcome(() => Validator.IsValidByJsonSchemaNet(action, isResponse, document.RootElement), action, isResponse, document.RootElement);

            Outcome(() => Validator.IsValidCompiled(action, isResponse, document.RootElement), action, isResponse, document.RootElement).ShouldBe(expected, json);
            Interlocked.Increment(ref expected == Valid ? ref valid : ref invalid);
        }, iter: 300);

        valid.ShouldBeGreaterThan(15);
        invalid.ShouldBeGreaterThan(15);
    }

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void decides_edge_cases_as_json_schema_net_does(string action, bool isResponse, string json, string expected)
    {
        using var document = JsonDocument.Parse(json);

        Outcome(() => Validator.IsValidByJsonSchemaNet(action, isResponse, document.RootElement), action, isResponse, document.RootElement).ShouldBe(expected);
        Outcome(() => Validator.IsValidCompiled(action, isResponse, document.RootElement), action, isResponse, document.RootElement).ShouldBe(expected);
    }

    [Fact]
    public void a_valid_payload_allocates_nothing()
    {
        var meterValues = Parse(Meter());
        var startTransaction = Parse(Start());
        Validator.ValidateRequest("MeterValues", meterValues).ShouldBeNull();
        Validator.ValidateRequest("StartTransaction", startTransaction).ShouldBeNull();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            Validator.ValidateRequest("MeterValues", meterValues);
            Validator.ValidateRequest("StartTransaction", startTransaction);
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBe(0);
    }

    // JsonSchema.Net 8.0.5 stack-allocates the digits of a multipleOf division: 1e-9999999 overflows the stack and ends
    // the process, so such a number is named without it.
    [Fact]
    public void names_a_number_too_long_for_json_schema_net_without_handing_it_over()
    {
        var notAMultiple = Validator.ValidateRequest("SetChargingProfile", Parse(Profile("1e-9999999"))).ShouldNotBeNull();
        notAMultiple.ErrorCode.ShouldBe(OcppErrorCodes.PropertyConstraintViolation);
        notAMultiple.Description.ShouldBe("/csChargingProfiles/chargingSchedule/chargingSchedulePeriod/0/limit: multipleOf 0.1 not met");

        Validator.ValidateRequest("SetChargingProfile", Parse(Profile("1e9999999"))).ShouldBeNull();

        var elsewhere = Validator.ValidateRequest("SetChargingProfile", Parse(Profile("1e9999999", start: "\"0\""))).ShouldNotBeNull();
        elsewhere.ErrorCode.ShouldBe(OcppErrorCodes.FormationViolation);

        var second = Validator.ValidateRequest("SetChargingProfile", Parse(
            """{"connectorId":1,"csChargingProfiles":{"chargingProfileId":1,"stackLevel":0,"chargingProfilePurpose":"TxDefaultProfile","chargingProfileKind":"Absolute","chargingSchedule":{"chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":1e9999999}],"minChargingRate":1e-9999999}}}"""))
            .ShouldNotBeNull();
        second.Description.ShouldBe("/csChargingProfiles/chargingSchedule/minChargingRate: multipleOf 0.1 not met");
    }

    private static string Outcome(Func<bool> verdict, string action, bool isResponse, JsonElement payload)
    {
        try
        {
            if (verdict())
            {
                return Valid;
            }
        }
        catch (Exception ex)
        {
            return ex.GetType().Name;
        }

        // A rejected payload is described by JsonSchema.Net's detailed pass, which may throw where the verdict did not.
        try
        {
            _ = isResponse ? Validator.ValidateResponse(action, payload) : Validator.ValidateRequest(action, payload);
            return Invalid;
        }
        catch (Exception ex)
        {
            return ex.GetType().Name;
        }
    }

    private static JsonElement Source(string action, bool isResponse) =>
        Validator.Schemas.Single(s => s.Action == action && s.IsResponse == isResponse).Source;

    private static string Meter(string connector = "1", string value = "\"2\"", string unit = "\"kWh\"") =>
        MeterValues.Replace("CONNECTOR", connector, StringComparison.Ordinal).Replace("VALUE", value, StringComparison.Ordinal)
            .Replace("UNIT", unit, StringComparison.Ordinal);

    private static string Start(string idTag = "04A2B3C4D5E6F7", string timestamp = "2024-05-01T10:00:00Z") =>
        StartTransaction.Replace("ID_TAG", $"\"{idTag}\"", StringComparison.Ordinal).Replace("TIMESTAMP", $"\"{timestamp}\"", StringComparison.Ordinal);

    private static string Profile(string limit, string start = "0") =>
        ChargingProfile.Replace("LIMIT", limit, StringComparison.Ordinal).Replace("START", start, StringComparison.Ordinal);

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
