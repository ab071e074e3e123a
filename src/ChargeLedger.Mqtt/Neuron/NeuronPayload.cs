using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using ChargeLedger.Telemetry;

namespace ChargeLedger.Mqtt.Neuron;

/// <summary>Why a payload is not a Neuron message: a short kind (a metric tag) and a specific reason (the dead letter).</summary>
public readonly record struct NeuronRejection(string Kind, string Reason)
{
    public const string NotJson = "not_json";
    public const string NotObject = "not_object";
    public const string Timestamp = "timestamp";
    public const string Node = "node";
    public const string Group = "group";
    public const string NoTags = "no_tags";
    public const string BadTag = "bad_tag";
    public const string DuplicateTag = "duplicate_tag";
    public const string DuplicateProperty = "duplicate_property";
    public const string TooLarge = "too_large";
    public const string NoGateway = "no_gateway";
}

/// <summary>
/// Reads Neuron/NeuronEX payloads (DESIGN.md "Protocol notes"): the values-format
/// <c>{"timestamp","node","group","values":{tag:number},"errors":{tag:code}}</c> and the tags-format
/// <c>{"timestamp","node","group","tags":[{"name","value"|"error"}]}</c>. Pure and allocation-light; never throws on
/// any input: whatever is not exactly one of the two shapes comes back as a <see cref="NeuronRejection"/>.
/// </summary>
public static class NeuronPayload
{
    /// <summary>Longest node, group or tag name accepted; Neuron itself caps names at 128 characters.</summary>
    public const int MaxNameLength = 256;

    /// <summary>How much of a rejected payload is kept in the dead letter.</summary>
    public const int MaxStoredPayloadBytes = 4096;

    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = 16,
    };

    public static bool TryParse(ReadOnlySpan<byte> payload, string gatewayId, string topic, DateTimeOffset receivedAt,
        [NotNullWhen(true)] out NeuronMessage? message, out NeuronRejection rejection)
    {
        var reader = new Utf8JsonReader(payload, ReaderOptions);
        return TryParse(ref reader, gatewayId, topic, receivedAt, out message, out rejection);
    }

    public static bool TryParse(in ReadOnlySequence<byte> payload, string gatewayId, string topic, DateTimeOffset receivedAt,
        [NotNullWhen(true)] out NeuronMessage? message, out NeuronRejection rejection)
    {
        var reader = new Utf8JsonReader(payload, ReaderOptions);
        return TryParse(ref reader, gatewayId, topic, receivedAt, out message, out rejection);
    }

    /// <summary>The payload as text for a dead letter: invalid UTF-8 becomes U+FFFD, anything past 4 KiB is cut off.</summary>
    public static string ForStorage(in ReadOnlySequence<byte> payload)
    {
        var length = payload.Length;
        var kept = payload.Slice(0, Math.Min(length, MaxStoredPayloadBytes));
        var text = Encoding.UTF8.GetString(kept);
        return length > MaxStoredPayloadBytes
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{text}… [truncated, {length} bytes]")
            : text;
    }

    private static bool TryParse(ref Utf8JsonReader reader, string gatewayId, string topic, DateTimeOffset receivedAt,
        [NotNullWhen(true)] out NeuronMessage? message, out NeuronRejection rejection)
    {
        message = null;
        try
        {
            return TryRead(ref reader, gatewayId, topic, receivedAt, out message, out rejection);
        }
        catch (JsonException ex)
        {
            rejection = new(NeuronRejection.NotJson, $"not JSON: {ex.Message}");
            return false;
        }
        catch (InvalidOperationException ex)
        {
            // Utf8JsonReader.GetString on a string that is not valid UTF-8 (RFC 8259 §8.1).
            rejection = new(NeuronRejection.NotJson, $"not JSON: {ex.Message}");
            return false;
        }
    }

    private static bool TryRead(ref Utf8JsonReader reader, string gatewayId, string topic, DateTimeOffset receivedAt,
        [NotNullWhen(true)] out NeuronMessage? message, out NeuronRejection rejection)
    {
        message = null;
        if (!reader.Read())
        {
            rejection = new(NeuronRejection.NotJson, "empty payload");
            return false;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            rejection = new(NeuronRejection.NotObject, $"payload is a JSON {Describe(reader.TokenType)}, not an object");
            return false;
        }

        DateTimeOffset? timestamp = null;
        string? node = null, group = null;
        Dictionary<string, NeuronTagValue>? values = null, errors = null;
        List<NeuronTagValue>? tags = null;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var property = reader.GetString()!;
            reader.Read();
            NeuronRejection? failure;
            switch (property)
            {
                case "timestamp":
                    failure = timestamp is null ? ReadTimestamp(ref reader, out timestamp) : Duplicate(property);
                    break;
                case "node":
                    failure = node is null ? ReadName(ref reader, NeuronRejection.Node, "node", out node) : Duplicate(property);
                    break;
                case "group":
                    failure = group is null ? ReadName(ref reader, NeuronRejection.Group, "group", out group) : Duplicate(property);
                    break;
                case "values":
                    failure = values is null ? ReadTagObject(ref reader, "values", out values) : Duplicate(property);
                    break;
                case "errors":
                    failure = errors is null ? ReadTagObject(ref reader, "errors", out errors) : Duplicate(property);
                    break;
                case "tags":
                    failure = tags is null ? ReadTags(ref reader, out tags) : Duplicate(property);
                    break;
                default:
                    // Fields a later Neuron version may add are no reason to lose the reading.
                    reader.Skip();
                    failure = null;
                    break;
            }

            if (failure is { } f)
            {
                rejection = f;
                return false;
            }
        }

        if (reader.Read())
        {
            // Only whitespace may follow the object (RFC 8259 §2); the reader throws on anything else, this is belt and braces.
            rejection = new(NeuronRejection.NotJson, "content after the JSON object");
            return false;
        }

        if (timestamp is null)
        {
            rejection = new(NeuronRejection.Timestamp, "missing timestamp");
            return false;
        }

        if (node is null)
        {
            rejection = new(NeuronRejection.Node, "missing node");
            return false;
        }

        if (group is null)
        {
            rejection = new(NeuronRejection.Group, "missing group");
            return false;
        }

        if (tags is not null && (values is not null || errors is not null))
        {
            rejection = new(NeuronRejection.NoTags, "both tags (tags-format) and values/errors (values-format)");
            return false;
        }

        if (tags is null)
        {
            if (values is null && errors is null)
            {
                rejection = new(NeuronRejection.NoTags, "neither values nor tags");
                return false;
            }

            tags = Merge(values, errors);
        }

        if (tags.Count == 0)
        {
            rejection = new(NeuronRejection.NoTags, "no tags in the message");
            return false;
        }

        message = new NeuronMessage(gatewayId, topic, node, group, timestamp.Value, tags, receivedAt);
        rejection = default;
        return true;
    }

    /// <summary>Values first, in payload order; a tag also listed under errors takes the error (its reading failed).</summary>
    private static List<NeuronTagValue> Merge(Dictionary<string, NeuronTagValue>? values, Dictionary<string, NeuronTagValue>? errors)
    {
        var tags = new List<NeuronTagValue>((values?.Count ?? 0) + (errors?.Count ?? 0));
        if (values is not null)
        {
            foreach (var value in values.Values)
            {
                tags.Add(errors is not null && errors.TryGetValue(value.Name, out var error) ? error : value);
            }
        }

        if (errors is not null)
        {
            foreach (var error in errors.Values)
            {
                if (values is null || !values.ContainsKey(error.Name))
                {
                    tags.Add(error);
                }
            }
        }

        return tags;
    }

    private static NeuronRejection Duplicate(string property) => new(NeuronRejection.DuplicateProperty, $"duplicate property \"{property}\"");

    private static NeuronRejection? ReadTimestamp(ref Utf8JsonReader reader, out DateTimeOffset? timestamp)
    {
        timestamp = null;
        if (reader.TokenType != JsonTokenType.Number)
        {
            return new(NeuronRejection.Timestamp, $"timestamp is a {Describe(reader.TokenType)}, not milliseconds since the epoch");
        }

        if (!reader.TryGetInt64(out var milliseconds)
            || milliseconds < DateTimeOffset.MinValue.ToUnixTimeMilliseconds()
            || milliseconds > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return new(NeuronRejection.Timestamp, "timestamp is not a whole number of milliseconds in the calendar range");
        }

        timestamp = DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
        return null;
    }

    private static NeuronRejection? ReadName(ref Utf8JsonReader reader, string kind, string what, out string? name)
    {
        name = null;
        if (reader.TokenType != JsonTokenType.String)
        {
            return new(kind, $"{what} is a {Describe(reader.TokenType)}, not a string");
        }

        var text = reader.GetString()!;
        if (text.Length == 0 || text.Length > MaxNameLength)
        {
            return new(kind, $"{what} must have 1 to {MaxNameLength} characters");
        }

        name = text;
        return null;
    }

    /// <summary>values-format's "values" (numbers) or "errors" (error codes): an object of tag name to entry.</summary>
    private static NeuronRejection? ReadTagObject(ref Utf8JsonReader reader, string field, out Dictionary<string, NeuronTagValue>? tags)
    {
        tags = null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return new(NeuronRejection.BadTag, $"{field} is a {Describe(reader.TokenType)}, not an object");
        }

        var errorCodes = field == "errors";
        var read = new Dictionary<string, NeuronTagValue>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (ReadTagName(name) is { } badName)
            {
                return badName;
            }

            NeuronTagValue tag;
            if (errorCodes)
            {
                if (ReadErrorCode(ref reader, name, out var code) is { } badCode)
                {
                    return badCode;
                }

                tag = new NeuronTagValue(name, null, code);
            }
            else
            {
                if (ReadNumber(ref reader, name, out var value) is { } badValue)
                {
                    return badValue;
                }

                tag = new NeuronTagValue(name, value, null);
            }

            if (!read.TryAdd(name, tag))
            {
                return new(NeuronRejection.DuplicateTag, $"tag \"{name}\" appears twice in {field}");
            }
        }

        tags = read;
        return null;
    }

    private static NeuronRejection? ReadTags(ref Utf8JsonReader reader, out List<NeuronTagValue>? tags)
    {
        tags = null;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return new(NeuronRejection.BadTag, $"tags is a {Describe(reader.TokenType)}, not an array");
        }

        var read = new List<NeuronTagValue>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return new(NeuronRejection.BadTag, $"tags[{read.Count}] is a {Describe(reader.TokenType)}, not an object");
            }

            string? name = null;
            decimal? value = null;
            int? code = null;
            var hasValue = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var property = reader.GetString()!;
                reader.Read();
                NeuronRejection? failure = null;
                switch (property)
                {
                    case "name" when name is null:
                        failure = ReadName(ref reader, NeuronRejection.BadTag, $"tags[{read.Count}].name", out name);
                        break;
                    case "value" when !hasValue:
                        hasValue = true;
                        failure = ReadNumber(ref reader, name ?? $"tags[{read.Count}]", out var number);
                        value = number;
                        break;
                    case "error" when code is null:
                        failure = ReadErrorCode(ref reader, name ?? $"tags[{read.Count}]", out var readCode);
                        code = readCode;
                        break;
                    case "name" or "value" or "error":
                        failure = new(NeuronRejection.BadTag, $"tags[{read.Count}] has \"{property}\" twice");
                        break;
                    default:
                        reader.Skip();
                        break;
                }

                if (failure is { } f)
                {
                    return f;
                }
            }

            if (name is null)
            {
                return new(NeuronRejection.BadTag, $"tags[{read.Count}] has no name");
            }

            if (!hasValue && code is null)
            {
                return new(NeuronRejection.BadTag, $"tag \"{name}\" has neither value nor error");
            }

            if (!names.Add(name))
            {
                return new(NeuronRejection.DuplicateTag, $"tag \"{name}\" appears twice in tags");
            }

            read.Add(code is null ? new NeuronTagValue(name, value, null) : new NeuronTagValue(name, null, code));
        }

        tags = read;
        return null;
    }

    private static NeuronRejection? ReadTagName(string name) =>
        name.Length is 0 or > MaxNameLength
            ? new(NeuronRejection.BadTag, $"tag names must have 1 to {MaxNameLength} characters")
            : null;

    private static NeuronRejection? ReadNumber(ref Utf8JsonReader reader, string tag, out decimal value)
    {
        value = 0;
        switch (reader.TokenType)
        {
            case JsonTokenType.Number when reader.TryGetDecimal(out value):
                return null;
            case JsonTokenType.Number:
                return new(NeuronRejection.BadTag, $"value of tag \"{tag}\" is out of the decimal range");
            case JsonTokenType.True:
                value = 1;
                return null;
            case JsonTokenType.False:
                value = 0;
                return null;
            default:
                return new(NeuronRejection.BadTag, $"value of tag \"{tag}\" is a {Describe(reader.TokenType)}, not a number or boolean");
        }
    }

    private static NeuronRejection? ReadErrorCode(ref Utf8JsonReader reader, string tag, out int code)
    {
        code = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out code)
            ? null
            : new(NeuronRejection.BadTag, $"error of tag \"{tag}\" is not an integer error code");
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
