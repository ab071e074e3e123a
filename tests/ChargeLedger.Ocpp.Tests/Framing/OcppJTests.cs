using System.Buffers;
using System.Text;
using System.Text.Json;
using ChargeLedger.Ocpp.Framing;

namespace ChargeLedger.Ocpp.Tests.Framing;

public class OcppJTests
{
    private static readonly string LongId = new('x', 37);

    // RELIABILITY B1 plus the remaining shape faults of OCPP-J 1.6 §4.2: frame, expected code, answerable id.
    public static TheoryData<string, string, string?> BadFrames => new()
    {
        { "hello", OcppErrorCodes.FormationViolation, null },
        { "", OcppErrorCodes.FormationViolation, null },
        { "{\"a\":1}", OcppErrorCodes.FormationViolation, null },
        { "\"text\"", OcppErrorCodes.FormationViolation, null },
        { "[]", OcppErrorCodes.ProtocolError, null },
        { "[2]", OcppErrorCodes.ProtocolError, null },
        { "[\"2\",\"1\",\"Heartbeat\",{}]", OcppErrorCodes.FormationViolation, null },
        { "[2.5,\"1\",\"Heartbeat\",{}]", OcppErrorCodes.FormationViolation, null },
        { "[2,123,\"Heartbeat\",{}]", OcppErrorCodes.FormationViolation, null },
        { "[2,\"\",\"Heartbeat\",{}]", OcppErrorCodes.FormationViolation, null },
        { $"[2,\"{LongId}\",\"Heartbeat\",{{}}]", OcppErrorCodes.FormationViolation, null },
        { "[7,\"m7\",\"Heartbeat\",{}]", OcppErrorCodes.FormationViolation, "m7" },
        { "[2,\"m1\"]", OcppErrorCodes.ProtocolError, "m1" },
        { "[2,\"m1\",\"Heartbeat\"]", OcppErrorCodes.ProtocolError, "m1" },
        { "[2,\"m1\",42,{}]", OcppErrorCodes.FormationViolation, "m1" },
        { "[2,\"m1\",\"\",{}]", OcppErrorCodes.FormationViolation, "m1" },
        { "[2,\"m1\",\"Heartbeat\",[]]", OcppErrorCodes.FormationViolation, "m1" },
        { "[2,\"m1\",\"Heartbeat\",\"{}\"]", OcppErrorCodes.FormationViolation, "m1" },
        { "[2,\"m1\",\"Heartbeat\",{},{}]", OcppErrorCodes.FormationViolation, "m1" },
        { "[2,\"m1\",\"Heartbeat\",{\"a\":}]", OcppErrorCodes.FormationViolation, "m1" },
        { "[2,\"m1\",\"Heartbeat\",{}] trailing", OcppErrorCodes.FormationViolation, "m1" },
        { "[3,\"m1\"]", OcppErrorCodes.ProtocolError, null },
        { "[3,\"m1\",[]]", OcppErrorCodes.FormationViolation, null },
        { "[3,\"m1\",{},1]", OcppErrorCodes.FormationViolation, null },
        { "[4,\"m1\",\"GenericError\",\"oops\"]", OcppErrorCodes.ProtocolError, null },
        { "[4,\"m1\",5,\"oops\",{}]", OcppErrorCodes.FormationViolation, null },
        { "[4,\"m1\",\"GenericError\",null,{}]", OcppErrorCodes.FormationViolation, null },
        { "[4,\"m1\",\"GenericError\",\"oops\",[]]", OcppErrorCodes.FormationViolation, null },
    };

    [Theory]
    [MemberData(nameof(BadFrames))]
    public void rejects_a_malformed_frame_with_the_spec_error_code(string frame, string expectedCode, string? expectedMessageId)
    {
        var bad = OcppJ.Parse(Encoding.UTF8.GetBytes(frame)).ShouldBeOfType<OcppBadFrame>();

        bad.ErrorCode.ShouldBe(expectedCode);
        bad.MessageId.ShouldBe(expectedMessageId);
        bad.Description.ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public void rejects_invalid_utf8_without_a_message_id()
    {
        var bad = OcppJ.Parse(new byte[] { 0x80 }).ShouldBeOfType<OcppBadFrame>();

        bad.ErrorCode.ShouldBe(OcppErrorCodes.FormationViolation);
        bad.MessageId.ShouldBeNull();
    }

    [Fact]
    public void rejects_invalid_utf8_inside_a_string()
    {
        var frame = "[2,\"m1\",\"DataTransfer\",{\"vendorId\":\""u8.ToArray().Concat(new byte[] { 0xC3, 0x28 }).Concat("\"}]"u8.ToArray()).ToArray();

        OcppJ.Parse(frame).ShouldBeOfType<OcppBadFrame>().ErrorCode.ShouldBe(OcppErrorCodes.FormationViolation);
    }

    [Fact]
    public void does_not_echo_a_huge_message_id()
    {
        var frame = Encoding.UTF8.GetBytes($"[2,\"{new string('x', 100_000)}\",\"Heartbeat\",{{}}]");

        var bad = OcppJ.Parse(frame).ShouldBeOfType<OcppBadFrame>();

        bad.MessageId.ShouldBeNull();
        bad.Description.Length.ShouldBeLessThan(100);
    }

    [Fact]
    public void accepts_a_message_id_of_exactly_36_characters()
    {
        var id = Guid.NewGuid().ToString();

        OcppJ.Parse(Encoding.UTF8.GetBytes($"[2,\"{id}\",\"Heartbeat\",{{}}]")).ShouldBeOfType<OcppCall>().MessageId.ShouldBe(id);
    }

    [Fact]
    public void parses_a_call()
    {
        var call = OcppJ.Parse("[2, \"19223201\", \"BootNotification\", {\"chargePointVendor\": \"VendorX\", \"chargePointModel\": \"SingleSocketCharger\"}]"u8.ToArray())
            .ShouldBeOfType<OcppCall>();

        call.MessageId.ShouldBe("19223201");
        call.Action.ShouldBe("BootNotification");
        call.Payload.GetProperty("chargePointVendor").GetString().ShouldBe("VendorX");
    }

    [Fact]
    public void parses_a_call_result()
    {
        var result = OcppJ.Parse("[3,\"19223201\",{\"currentTime\":\"2013-02-01T20:53:32.486Z\"}]"u8.ToArray())
            .ShouldBeOfType<OcppCallResult>();

        result.MessageId.ShouldBe("19223201");
        result.Payload.GetProperty("currentTime").GetString().ShouldBe("2013-02-01T20:53:32.486Z");
    }

    [Fact]
    public void parses_a_call_error()
    {
        var error = OcppJ.Parse("[4,\"162376037\",\"NotImplemented\",\"Unknown action\",{\"hint\":1}]"u8.ToArray())
            .ShouldBeOfType<OcppCallError>();

        error.MessageId.ShouldBe("162376037");
        error.ErrorCode.ShouldBe("NotImplemented");
        error.ErrorDescription.ShouldBe("Unknown action");
        error.ErrorDetails.GetProperty("hint").GetInt32().ShouldBe(1);
    }

    [Fact]
    public void payload_survives_reuse_of_the_receive_buffer()
    {
        var buffer = "[2,\"m1\",\"Authorize\",{\"idTag\":\"ABC\"}]"u8.ToArray();

        var call = OcppJ.Parse(buffer.AsMemory()).ShouldBeOfType<OcppCall>();
        Array.Fill(buffer, (byte)'!');

        call.Payload.GetProperty("idTag").GetString().ShouldBe("ABC");
    }

    [Fact]
    public void call_round_trips_from_a_json_element()
    {
        using var payload = JsonDocument.Parse("{\"idTag\":\"ABC\",\"n\":1.50}");
        var output = new ArrayBufferWriter<byte>();

        OcppJ.WriteCall(output, "m-1", "Authorize", payload.RootElement);

        Encoding.UTF8.GetString(output.WrittenSpan).ShouldBe("[2,\"m-1\",\"Authorize\",{\"idTag\":\"ABC\",\"n\":1.50}]");
        var call = OcppJ.Parse(output.WrittenMemory).ShouldBeOfType<OcppCall>();
        call.Action.ShouldBe("Authorize");
        call.Payload.GetRawText().ShouldBe("{\"idTag\":\"ABC\",\"n\":1.50}");
    }

    [Fact]
    public void call_round_trips_from_utf8_bytes()
    {
        var output = new ArrayBufferWriter<byte>();

        OcppJ.WriteCall(output, "m-2", "Reset", "{\"type\":\"Soft\"}"u8);

        OcppJ.Parse(output.WrittenMemory).ShouldBeOfType<OcppCall>().Payload.GetProperty("type").GetString().ShouldBe("Soft");
    }

    [Fact]
    public void call_result_round_trips_from_both_payload_forms()
    {
        using var payload = JsonDocument.Parse("{\"status\":\"Accepted\"}");
        var fromElement = new ArrayBufferWriter<byte>();
        var fromBytes = new ArrayBufferWriter<byte>();

        OcppJ.WriteCallResult(fromElement, "m-3", payload.RootElement);
        OcppJ.WriteCallResult(fromBytes, "m-3", "{\"status\":\"Accepted\"}"u8);

        Encoding.UTF8.GetString(fromElement.WrittenSpan).ShouldBe("[3,\"m-3\",{\"status\":\"Accepted\"}]");
        fromBytes.WrittenSpan.SequenceEqual(fromElement.WrittenSpan).ShouldBeTrue();
        OcppJ.Parse(fromBytes.WrittenMemory).ShouldBeOfType<OcppCallResult>().MessageId.ShouldBe("m-3");
    }

    [Fact]
    public void call_error_has_empty_details_by_default()
    {
        var output = new ArrayBufferWriter<byte>();

        OcppJ.WriteCallError(output, "m-4", OcppErrorCodes.OccurenceConstraintViolation, "/idTag: required property missing");

        Encoding.UTF8.GetString(output.WrittenSpan)
            .ShouldBe("[4,\"m-4\",\"OccurenceConstraintViolation\",\"/idTag: required property missing\",{}]");
        var error = OcppJ.Parse(output.WrittenMemory).ShouldBeOfType<OcppCallError>();
        error.ErrorCode.ShouldBe(OcppErrorCodes.OccurenceConstraintViolation);
        error.ErrorDetails.EnumerateObject().ShouldBeEmpty();
    }

    [Fact]
    public void call_error_round_trips_details_and_escapes_the_description()
    {
        using var details = JsonDocument.Parse("{\"field\":\"idTag\"}");
        var output = new ArrayBufferWriter<byte>();

        OcppJ.WriteCallError(output, "m-5", OcppErrorCodes.GenericError, "quote \" and \\ and é", details.RootElement);

        var error = OcppJ.Parse(output.WrittenMemory).ShouldBeOfType<OcppCallError>();
        error.ErrorDescription.ShouldBe("quote \" and \\ and é");
        error.ErrorDetails.GetProperty("field").GetString().ShouldBe("idTag");
    }

    [Fact]
    public void writers_refuse_a_payload_that_is_not_an_object()
    {
        var output = new ArrayBufferWriter<byte>();
        using var array = JsonDocument.Parse("[1]");

        Should.Throw<ArgumentException>(() => OcppJ.WriteCallResult(output, "m", array.RootElement));
        Should.Throw<ArgumentException>(() => OcppJ.WriteCallResult(output, "m", "[1]"u8));
        Should.Throw<ArgumentException>(() => OcppJ.WriteCall(output, "m", "Reset", "{\"a\":"u8));
    }

    [Fact]
    public void writers_refuse_an_invalid_message_id()
    {
        var output = new ArrayBufferWriter<byte>();

        Should.Throw<ArgumentException>(() => OcppJ.WriteCallResult(output, "", "{}"u8));
        Should.Throw<ArgumentException>(() => OcppJ.WriteCallResult(output, LongId, "{}"u8));
    }
}
