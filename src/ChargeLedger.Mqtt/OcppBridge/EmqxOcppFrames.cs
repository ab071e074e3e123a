using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using ChargeLedger.Ocpp.Framing;

namespace ChargeLedger.Mqtt.OcppBridge;

/// <summary>
/// EMQX's OCPP gateway envelope (DESIGN.md): OCPP-J messages as JSON objects instead of arrays,
/// <c>{"MessageTypeId":2,"UniqueId":"…","Action":"…","Payload":{…}}</c>, <c>{"MessageTypeId":3,"UniqueId":"…","Payload":{…}}</c>
/// and <c>{"MessageTypeId":4,"UniqueId":"…","ErrorCode":"…","ErrorDescription":"…"}</c>. Parsed into the same
/// <see cref="OcppFrame"/>s as the WebSocket's frames, with the same faults (OCPP-J 1.6 §4.2.3).
/// </summary>
public static class EmqxOcppFrames
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static OcppFrame Parse(ReadOnlySpan<byte> utf8)
    {
        if (!Utf8.IsValid(utf8))
        {
            return new OcppBadFrame(null, OcppErrorCodes.FormationViolation, "Message is not valid UTF-8");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8.ToArray());
        }
        catch (JsonException)
        {
            return new OcppBadFrame(null, OcppErrorCodes.FormationViolation, "Message is not valid JSON");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new OcppBadFrame(null, OcppErrorCodes.FormationViolation, "Message is not a JSON object");
            }

            if (!root.TryGetProperty("MessageTypeId", out var type) || type.ValueKind != JsonValueKind.Number || !type.TryGetInt32(out var messageType))
            {
                return new OcppBadFrame(null, OcppErrorCodes.FormationViolation, "MessageTypeId is missing or not an integer");
            }

            if (!root.TryGetProperty("UniqueId", out var id) || id.ValueKind != JsonValueKind.String
                || id.GetString() is not { Length: > 0 and <= OcppJ.MaxMessageIdLength } messageId)
            {
                return new OcppBadFrame(null, OcppErrorCodes.FormationViolation, $"UniqueId must be a string of 1 to {OcppJ.MaxMessageIdLength} characters");
            }

            return messageType switch
            {
                2 => ParseCall(root, messageId),
                3 => Payload(root) is { } result
                    ? new OcppCallResult(messageId, result)
                    : new OcppBadFrame(null, OcppErrorCodes.FormationViolation, "Payload is not a JSON object"),
                4 => ParseError(root, messageId),
                _ => new OcppBadFrame(messageId, OcppErrorCodes.FormationViolation, "MessageTypeId is not 2, 3 or 4"),
            };
        }
    }

    public static byte[] Call(string messageId, string action, JsonElement payload) =>
        Write(writer =>
        {
            writer.WriteNumber("MessageTypeId", 2);
            writer.WriteString("UniqueId", messageId);
            writer.WriteString("Action", action);
            writer.WritePropertyName("Payload");
            payload.WriteTo(writer);
        });

    public static byte[] Result(string messageId, ReadOnlyMemory<byte> utf8Payload) =>
        Write(writer =>
        {
            writer.WriteNumber("MessageTypeId", 3);
            writer.WriteString("UniqueId", messageId);
            writer.WritePropertyName("Payload");
            writer.WriteRawValue(utf8Payload.Span, skipInputValidation: true);
        });

    public static byte[] Error(string messageId, string errorCode, string errorDescription) =>
        Write(writer =>
        {
            writer.WriteNumber("MessageTypeId", 4);
            writer.WriteString("UniqueId", messageId);
            writer.WriteString("ErrorCode", errorCode);
            writer.WriteString("ErrorDescription", errorDescription);
            writer.WriteStartObject("ErrorDetails");
            writer.WriteEndObject();
        });

    private static OcppFrame ParseCall(JsonElement root, string messageId)
    {
        if (!root.TryGetProperty("Action", out var action) || action.ValueKind != JsonValueKind.String || action.GetString() is not { Length: > 0 } name)
        {
            return new OcppBadFrame(messageId, OcppErrorCodes.FormationViolation, "Action is missing or not a string");
        }

        return Payload(root) is { } payload
            ? new OcppCall(messageId, name, payload)
            : new OcppBadFrame(messageId, OcppErrorCodes.FormationViolation, "Payload is not a JSON object");
    }

    private static OcppFrame ParseError(JsonElement root, string messageId)
    {
        if (!root.TryGetProperty("ErrorCode", out var code) || code.ValueKind != JsonValueKind.String)
        {
            return new OcppBadFrame(null, OcppErrorCodes.FormationViolation, "ErrorCode is missing or not a string");
        }

        var description = root.TryGetProperty("ErrorDescription", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString()! : "";
        var details = root.TryGetProperty("ErrorDetails", out var extra) && extra.ValueKind == JsonValueKind.Object
            ? extra.Clone()
            : JsonDocument.Parse("{}").RootElement.Clone();
        return new OcppCallError(messageId, code.GetString()!, description, details);
    }

    /// <summary>The Payload object, copied out of the document; null when missing or not an object.</summary>
    private static JsonElement? Payload(JsonElement root) =>
        root.TryGetProperty("Payload", out var payload) && payload.ValueKind == JsonValueKind.Object ? payload.Clone() : null;

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var output = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }
}
