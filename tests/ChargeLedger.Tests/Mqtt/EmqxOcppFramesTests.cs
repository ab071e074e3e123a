using System.Text;
using System.Text.Json;
using ChargeLedger.Mqtt.OcppBridge;
using ChargeLedger.Ocpp.Framing;

namespace ChargeLedger.Tests.Mqtt;

public class EmqxOcppFramesTests
{
    private static OcppFrame Parse(string json) => EmqxOcppFrames.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void a_call_envelope_becomes_the_same_call_as_an_ocpp_j_array()
    {
        var frame = Parse("""{"MessageTypeId":2,"UniqueId":"u-1","Action":"Heartbeat","Payload":{}}""").ShouldBeOfType<OcppCall>();
        var array = OcppJ.Parse("""[2,"u-1","Heartbeat",{}]"""u8).ShouldBeOfType<OcppCall>();

        (frame.MessageId, frame.Action, frame.Payload.ToString()).ShouldBe((array.MessageId, array.Action, array.Payload.ToString()));
    }

    [Fact]
    public void results_and_errors_are_replies_to_our_calls()
    {
        Parse("""{"MessageTypeId":3,"UniqueId":"u-2","Payload":{"status":"Accepted"}}""").ShouldBeOfType<OcppCallResult>()
            .Payload.GetProperty("status").GetString().ShouldBe("Accepted");
        var error = Parse("""{"MessageTypeId":4,"UniqueId":"u-3","ErrorCode":"NotSupported","ErrorDescription":"no"}""").ShouldBeOfType<OcppCallError>();
        (error.ErrorCode, error.ErrorDescription, error.ErrorDetails.ValueKind).ShouldBe(("NotSupported", "no", JsonValueKind.Object));
    }

    [Theory]
    [InlineData("not json", null)]
    [InlineData("[2,\"u\",\"Heartbeat\",{}]", null)]
    [InlineData("""{"UniqueId":"u","Action":"Heartbeat","Payload":{}}""", null)]
    [InlineData("""{"MessageTypeId":"2","UniqueId":"u","Action":"Heartbeat","Payload":{}}""", null)]
    [InlineData("""{"MessageTypeId":2,"UniqueId":"0123456789012345678901234567890123456","Action":"Heartbeat","Payload":{}}""", null)]
    [InlineData("""{"MessageTypeId":2,"UniqueId":"u","Payload":{}}""", "u")]
    [InlineData("""{"MessageTypeId":2,"UniqueId":"u","Action":"Heartbeat","Payload":[]}""", "u")]
    [InlineData("""{"MessageTypeId":5,"UniqueId":"u"}""", "u")]
    [InlineData("""{"MessageTypeId":3,"UniqueId":"u","Payload":"x"}""", null)]
    public void a_malformed_envelope_is_a_formation_violation_answerable_only_when_it_is_a_call_with_an_id(string json, string? answerableId)
    {
        var bad = Parse(json).ShouldBeOfType<OcppBadFrame>();
        bad.ErrorCode.ShouldBe(OcppErrorCodes.FormationViolation);
        bad.MessageId.ShouldBe(answerableId);
    }

    [Fact]
    public void what_we_send_is_emqx_s_envelope()
    {
        var call = JsonDocument.Parse(EmqxOcppFrames.Call("c-1", "Reset", JsonDocument.Parse("""{"type":"Soft"}""").RootElement)).RootElement;
        call.ToString().ShouldBe("""{"MessageTypeId":2,"UniqueId":"c-1","Action":"Reset","Payload":{"type":"Soft"}}""");
        var result = JsonDocument.Parse(EmqxOcppFrames.Result("c-2", """{"currentTime":"2026-01-01T00:00:00Z"}"""u8.ToArray())).RootElement;
        result.ToString().ShouldBe("""{"MessageTypeId":3,"UniqueId":"c-2","Payload":{"currentTime":"2026-01-01T00:00:00Z"}}""");
        var error = JsonDocument.Parse(EmqxOcppFrames.Error("c-3", "InternalError", "retry")).RootElement;
        error.ToString().ShouldBe("""{"MessageTypeId":4,"UniqueId":"c-3","ErrorCode":"InternalError","ErrorDescription":"retry","ErrorDetails":{}}""");
    }

    [Theory]
    [InlineData("$SYS/brokers/emqx@n1/gateway/ocpp/clients/CP-1/connected", "CP-1", true)]
    [InlineData("$SYS/brokers/emqx@n2/gateway/ocpp/clients/CP-1/disconnected", "CP-1", false)]
    public void emqx_connectivity_topics_name_the_charge_point(string topic, string chargePointId, bool connected) =>
        OcppBridge.ConnectivityEvent("$SYS/brokers/+/gateway/ocpp/clients/+/+", topic).ShouldBe((chargePointId, connected));

    [Theory]
    [InlineData("$SYS/brokers/n1/gateway/ocpp/clients/CP-1/subscribed")]
    [InlineData("$SYS/brokers/n1/gateway/mqttsn/clients/CP-1/connected")]
    [InlineData("$SYS/brokers/n1/clients/CP-1/connected")]
    public void other_system_topics_are_not_connectivity(string topic) =>
        OcppBridge.ConnectivityEvent("$SYS/brokers/+/gateway/ocpp/clients/+/+", topic).ShouldBeNull();
}
