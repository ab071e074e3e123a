using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace ChargeLedger.Ocpp.Framing;

/// <summary>OCPP-J 1.6 §4 message framing: parses inbound frames and writes outbound ones.</summary>
public static class OcppJ
{
    // OCPP-J 1.6 §4.1.4: a message id is a string of at most 36 characters.
    public const int MaxMessageIdLength = 36;

    private const int Call = 2;
    private const int CallResult = 3;
    private const int CallError = 4;

    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    // Frames go to charge points, never into HTML, so only JSON's own escaping is needed.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static OcppFrame Parse(ReadOnlyMemory<byte> utf8) => Parse(utf8.Span);

    public static OcppFrame Parse(ReadOnlySpan<byte> utf8)
    {
        // OCPP-J 1.6 §4.2.3: FormationViolation for a frame that is syntactically wrong. Checking UTF-8 first
        // (RFC 6455 §5.6 text frames) lets the reader's errors below mean "not JSON".
        if (!Utf8.IsValid(utf8))
        {
            return new OcppBadFrame(null, OcppErrorCodes.FormationViolation, "Frame is not valid UTF-8");
        }

        string? callId = null;
        try
        {
            var reader = new Utf8JsonReader(utf8, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                return new OcppBadFrame(null, OcppErrorCodes.FormationViolation, "Frame is not a JSON array");
            }

            // OCPP-J 1.6 §4.2.3: ProtocolError when elements are missing ("incomplete"),
            // FormationViolation when an element is present but of the wrong kind.
            if (!NextElement(ref reader))
            {
                return new OcppBadFrame(null, OcppErrorCodes.ProtocolError, "Frame has no MessageTypeId");
            }

            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var messageType))
            {
                return new OcppBadFrame(null, OcppErrorCodes.FormationViolation, "MessageTypeId is not an integer");
            }

            if (!NextElement(ref reader))
            {
                return new OcppBadFrame(null, OcppErrorCodes.ProtocolError, "Frame has no MessageId");
            }

            var messageId = ReadMessageId(ref reader, out var idProblem);
            if (messageId is null)
            {
                return new OcppBadFrame(null, OcppErrorCodes.FormationViolation, idProblem);
            }

            switch (messageType)
            {
                case Call:
                    callId = messageId;
                    return ParseCall(ref reader, messageId);
                case CallResult:
                    return ParseCallResult(ref reader, messageId);
                case CallError:
                    return ParseCallError(ref reader, messageId);
                default:
                    // OCPP-J 1.6 §4.1.3: an unknown MessageTypeId's payload is ignored. 1.6 has no
                    // MessageTypeNotSupported (2.0.1 §4.3 added it), so the nearest 1.6 code is FormationViolation.
                    return new OcppBadFrame(messageId, OcppErrorCodes.FormationViolation, "MessageTypeId is not 2, 3 or 4");
            }
        }
        catch (JsonException)
        {
            return new OcppBadFrame(callId, OcppErrorCodes.FormationViolation, "Frame is not valid JSON");
        }
    }

    public static void WriteCall(IBufferWriter<byte> output, string messageId, string action, JsonElement payload)
    {
        RequireObject(payload, nameof(payload));
        ArgumentException.ThrowIfNullOrEmpty(action);
        using var writer = Begin(output, Call, messageId);
        writer.WriteStringValue(action);
        payload.WriteTo(writer);
        End(writer);
    }

    public static void WriteCall(IBufferWriter<byte> output, string messageId, string action, ReadOnlySpan<byte> utf8Payload)
    {
        RequireObject(utf8Payload, nameof(utf8Payload));
        ArgumentException.ThrowIfNullOrEmpty(action);
        using var writer = Begin(output, Call, messageId);
        writer.WriteStringValue(action);
        writer.WriteRawValue(utf8Payload, skipInputValidation: true);
        End(writer);
    }

    public static void WriteCallResult(IBufferWriter<byte> output, string messageId, JsonElement payload)
    {
        RequireObject(payload, nameof(payload));
        using var writer = Begin(output, CallResult, messageId);
        payload.WriteTo(writer);
        End(writer);
    }

    public static void WriteCallResult(IBufferWriter<byte> output, string messageId, ReadOnlySpan<byte> utf8Payload)
    {
        RequireObject(utf8Payload, nameof(utf8Payload));
        using var writer = Begin(output, CallResult, messageId);
        writer.WriteRawValue(utf8Payload, skipInputValidation: true);
        End(writer);
    }

    /// <summary>Writes a CALLERROR with empty ErrorDetails, which OCPP-J 1.6 §4.2.3 requires to be <c>{}</c>.</summary>
    public static void WriteCallError(IBufferWriter<byte> output, string messageId, string errorCode, string errorDescription) =>
        WriteCallError(output, messageId, errorCode, errorDescription, "{}"u8);

    public static void WriteCallError(IBufferWriter<byte> output, string messageId, string errorCode, string errorDescription, JsonElement errorDetails)
    {
        RequireObject(errorDetails, nameof(errorDetails));
        using var writer = BeginError(output, messageId, errorCode, errorDescription);
        errorDetails.WriteTo(writer);
        End(writer);
    }

    public static void WriteCallError(IBufferWriter<byte> output, string messageId, string errorCode, string errorDescription, ReadOnlySpan<byte> utf8ErrorDetails)
    {
        RequireObject(utf8ErrorDetails, nameof(utf8ErrorDetails));
        using var writer = BeginError(output, messageId, errorCode, errorDescription);
        writer.WriteRawValue(utf8ErrorDetails, skipInputValidation: true);
        End(writer);
    }

    private static OcppFrame ParseCall(ref Utf8JsonReader reader, string messageId)
    {
        if (!NextElement(ref reader))
        {
            return new OcppBadFrame(messageId, OcppErrorCodes.ProtocolError, "CALL has no Action");
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            return new OcppBadFrame(messageId, OcppErrorCodes.FormationViolation, "CALL Action is not a string");
        }

        var action = reader.GetString()!;
        if (action.Length == 0)
        {
            return new OcppBadFrame(messageId, OcppErrorCodes.FormationViolation, "CALL Action is empty");
        }

        if (!NextElement(ref reader))
        {
            return new OcppBadFrame(messageId, OcppErrorCodes.ProtocolError, "CALL has no Payload");
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return new OcppBadFrame(messageId, OcppErrorCodes.FormationViolation, "CALL Payload is not a JSON object");
        }

        var payload = JsonElement.ParseValue(ref reader);
        return AtEnd(ref reader)
            ? new OcppCall(messageId, action, payload)
            : new OcppBadFrame(messageId, OcppErrorCodes.FormationViolation, "CALL has more than 4 elements");
    }

    // A malformed CALLRESULT or CALLERROR is never answered (OCPP-J 1.6 §4.2.3: a CALLERROR answers a CALL),
    // so these bad frames carry no MessageId.
    private static OcppFrame ParseCallResult(ref Utf8JsonReader reader, string messageId)
    {
        if (!NextElement(ref reader))
        {
            return new OcppBadFrame(null, OcppErrorCodes.ProtocolError, "CALLRESULT has no Payload");
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return new OcppBadFrame(null, OcppErrorCodes.FormationViolation, "CALLRESULT Payload is not a JSON object");
        }

        var payload = JsonElement.ParseValue(ref reader);
        return AtEnd(ref reader)
            ? new OcppCallResult(messageId, payload)
            : new OcppBadFrame(null, OcppErrorCodes.FormationViolation, "CALLRESULT has more than 3 elements");
    }

    private static OcppFrame ParseCallError(ref Utf8JsonReader reader, string messageId)
    {
        if (!NextElement(ref reader))
        {
            return new OcppBadFrame(null, OcppErrorCodes.ProtocolError, "CALLERROR has no ErrorCode");
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            return new OcppBadFrame(null, OcppErrorCodes.FormationViolation, "CALLERROR ErrorCode is not a string");
        }

        var errorCode = reader.GetString()!;
        if (!NextElement(ref reader))
        {
            return new OcppBadFrame(null, OcppErrorCodes.ProtocolError, "CALLERROR has no ErrorDescription");
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            return new OcppBadFrame(null, OcppErrorCodes.FormationViolation, "CALLERROR ErrorDescription is not a string");
        }

        var errorDescription = reader.GetString()!;
        if (!NextElement(ref reader))
        {
            return new OcppBadFrame(null, OcppErrorCodes.ProtocolError, "CALLERROR has no ErrorDetails");
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return new OcppBadFrame(null, OcppErrorCodes.FormationViolation, "CALLERROR ErrorDetails is not a JSON object");
        }

        var errorDetails = JsonElement.ParseValue(ref reader);
        return AtEnd(ref reader)
            ? new OcppCallError(messageId, errorCode, errorDescription, errorDetails)
            : new OcppBadFrame(null, OcppErrorCodes.FormationViolation, "CALLERROR has more than 5 elements");
    }

    private static string? ReadMessageId(ref Utf8JsonReader reader, out string problem)
    {
        problem = string.Empty;
        if (reader.TokenType != JsonTokenType.String)
        {
            problem = "MessageId is not a string";
            return null;
        }

        // A character takes at most 6 bytes on the wire (\uXXXX); rejecting longer values first means a huge id
        // is never materialised.
        if (reader.ValueSpan.Length > MaxMessageIdLength * 6)
        {
            problem = "MessageId is longer than 36 characters";
            return null;
        }

        var messageId = reader.GetString()!;
        if (messageId.Length == 0)
        {
            problem = "MessageId is empty";
            return null;
        }

        if (messageId.Length > MaxMessageIdLength)
        {
            problem = "MessageId is longer than 36 characters";
            return null;
        }

        return messageId;
    }

    private static bool NextElement(ref Utf8JsonReader reader) => reader.Read() && reader.TokenType != JsonTokenType.EndArray;

    // The array must close here and nothing may follow it; trailing bytes make the reader throw (not JSON).
    private static bool AtEnd(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.EndArray)
        {
            return false;
        }

        return !reader.Read();
    }

    private static Utf8JsonWriter Begin(IBufferWriter<byte> output, int messageType, string messageId)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        if (messageId.Length > MaxMessageIdLength)
        {
            throw new ArgumentException("An OCPP-J message id has at most 36 characters.", nameof(messageId));
        }

        var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartArray();
        writer.WriteNumberValue(messageType);
        writer.WriteStringValue(messageId);
        return writer;
    }

    private static Utf8JsonWriter BeginError(IBufferWriter<byte> output, string messageId, string errorCode, string errorDescription)
    {
        ArgumentException.ThrowIfNullOrEmpty(errorCode);
        ArgumentNullException.ThrowIfNull(errorDescription);
        var writer = Begin(output, CallError, messageId);
        writer.WriteStringValue(errorCode);
        writer.WriteStringValue(errorDescription);
        return writer;
    }

    private static void End(Utf8JsonWriter writer)
    {
        writer.WriteEndArray();
        writer.Flush();
    }

    private static void RequireObject(JsonElement payload, string parameterName)
    {
        if (payload.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException("An OCPP-J payload must be a JSON object.", parameterName);
        }
    }

    // Checked before anything is written, so a refused payload leaves no partial frame in the output.
    private static void RequireObject(ReadOnlySpan<byte> utf8Payload, string parameterName)
    {
        var isObject = false;
        try
        {
            var reader = new Utf8JsonReader(utf8Payload, ReaderOptions);
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                reader.Skip();
                isObject = !reader.Read();
            }
        }
        catch (JsonException)
        {
            isObject = false;
        }

        if (!isObject)
        {
            throw new ArgumentException("An OCPP-J payload must be one JSON object.", parameterName);
        }
    }
}
