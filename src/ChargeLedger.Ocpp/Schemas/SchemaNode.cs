using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;
using Json.Schema;

namespace ChargeLedger.Ocpp.Schemas;

/// <summary>
/// One schema or subschema compiled by <see cref="SchemaCompiler"/> and checked straight on the <see cref="JsonElement"/>, so
/// a valid payload costs no allocation (issue 6). It gives JsonSchema.Net's draft-07 verdict as
/// <see cref="OcppSchemaValidator"/> configures it; naming the failure of an invalid payload is left to JsonSchema.Net.
/// </summary>
internal sealed class SchemaNode
{
    /// <summary>A <c>$ref</c>: the node is its target and nothing else (the compiler refuses a reference's siblings).</summary>
    public SchemaNode? Reference { get; init; }

    public JsonTypes Types { get; init; } = JsonTypes.Any;

    /// <summary>The <c>enum</c> values (only strings are compiled), with their UTF-8 in <see cref="EnumUtf8"/>.</summary>
    public string[]? Enum { get; init; }

    public byte[][] EnumUtf8 { get; init; } = [];

    public int MaxLength { get; init; } = -1;

    public StringFormat Format { get; init; }

    public DecimalMultiple? MultipleOf { get; init; }

    /// <summary>UTF-8 of the <c>properties</c> names, with <see cref="PropertyNameStrings"/> and <see cref="PropertySchemas"/> at the same index.</summary>
    public byte[][] PropertyNames { get; init; } = [];

    public string[] PropertyNameStrings { get; init; } = [];

    public SchemaNode[] PropertySchemas { get; init; } = [];

    /// <summary>Bit i set: <c>PropertyNames[i]</c> is required (at most 64 properties are compiled).</summary>
    public ulong RequiredMask { get; init; }

    public bool AdditionalProperties { get; init; } = true;

    public SchemaNode? Items { get; init; }

    public int MinItems { get; init; }

    public bool IsValid(JsonElement instance)
    {
        if (Reference is not null)
        {
            return Reference.IsValid(instance);
        }

        if (Enum is not null && !IsEnumMember(instance))
        {
            return false;
        }

        return instance.ValueKind switch
        {
            JsonValueKind.Object => (Types & JsonTypes.Object) != 0 && IsValidObject(instance),
            JsonValueKind.Array => (Types & JsonTypes.Array) != 0 && IsValidArray(instance),
            JsonValueKind.String => (Types & JsonTypes.String) != 0 && IsValidString(instance),
            JsonValueKind.Number => HasNumberType(instance) && (MultipleOf is not { } divisor || divisor.Divides(JsonMarshal.GetRawUtf8Value(instance))),
            JsonValueKind.True or JsonValueKind.False => (Types & JsonTypes.Boolean) != 0,
            _ => (Types & JsonTypes.Null) != 0,
        };
    }

    /// <summary>
    /// The JSON Pointer of the first number at a <c>multipleOf</c> that JsonSchema.Net must not be handed
    /// (<see cref="DecimalMultiple.MaxReferenceDigits"/>) and that is not a multiple, wherever JsonSchema.Net would evaluate
    /// one. <paramref name="found"/> tells whether there is such a number at all, a multiple or not.
    /// </summary>
    public string? FindNumberBeyondReference(JsonElement instance, ref bool found, out DecimalMultiple divisor)
    {
        divisor = default;
        if (Reference is not null)
        {
            return Reference.FindNumberBeyondReference(instance, ref found, out divisor);
        }

        switch (instance.ValueKind)
        {
            case JsonValueKind.Number when MultipleOf is { } multipleOf && multipleOf.IsBeyondReference(JsonMarshal.GetRawUtf8Value(instance)):
                found = true;
                divisor = multipleOf;
                return multipleOf.Divides(JsonMarshal.GetRawUtf8Value(instance)) ? null : string.Empty;
            case JsonValueKind.Object:
                ulong seen = 0;
                foreach (var property in instance.EnumerateObject())
                {
                    var index = IndexOf(property);
                    if (index >= 0 && (seen & (1UL << index)) == 0)
                    {
                        seen |= 1UL << index;
                        if (PropertySchemas[index].FindNumberBeyondReference(property.Value, ref found, out divisor) is { } pointer)
                        {
                            return "/" + PropertyNameStrings[index] + pointer;
                        }
                    }
                }

                return null;
            case JsonValueKind.Array when Items is not null:
                var position = 0;
                foreach (var item in instance.EnumerateArray())
                {
                    if (Items.FindNumberBeyondReference(item, ref found, out divisor) is { } pointer)
                    {
                        return "/" + position.ToString(CultureInfo.InvariantCulture) + pointer;
                    }

                    position++;
                }

                return null;
            default:
                return null;
        }
    }

    // "type": "integer" as JsonSchema.Net 8 decides it: an Int64, or any number whose double has no fraction (1.0, 1e2, -0).
    private bool HasNumberType(JsonElement instance) =>
        (Types & JsonTypes.Number) != 0
        || ((Types & JsonTypes.Integer) != 0 && (instance.TryGetInt64(out _) || (instance.TryGetDouble(out var value) && value == Math.Truncate(value))));

    private bool IsEnumMember(JsonElement instance)
    {
        if (instance.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        var text = JsonMarshal.GetRawUtf8Value(instance)[1..^1];

        // An escaped string is unescaped as JsonSchema.Net would, with the same exception for a lone surrogate.
        if (text.Contains((byte)'\\'))
        {
            return Array.IndexOf(Enum!, instance.GetString()) >= 0;
        }

        foreach (var candidate in EnumUtf8)
        {
            if (text.SequenceEqual(candidate))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsValidString(JsonElement instance)
    {
        if (MaxLength >= 0 && !IsWithinMaxLength(instance))
        {
            return false;
        }

        return Format switch
        {
            StringFormat.DateTime => Rfc3339DateTime.IsValidUtf8(instance),
            StringFormat.Uri => Formats.Uri.Validate(instance, out _),
            _ => true,
        };
    }

    // JsonSchema.Net counts text elements (grapheme clusters). Unescaped UTF-8 never has fewer bytes than that, so a
    // short value is decided without materialising the string.
    private bool IsWithinMaxLength(JsonElement instance)
    {
        var text = JsonMarshal.GetRawUtf8Value(instance)[1..^1];
        if (text.Length <= MaxLength && !text.Contains((byte)'\\') && Utf8.IsValid(text))
        {
            return true;
        }

        return new StringInfo(instance.GetString()!).LengthInTextElements <= MaxLength;
    }

    private bool IsValidObject(JsonElement instance)
    {
        ulong seen = 0;
        foreach (var property in instance.EnumerateObject())
        {
            var index = IndexOf(property);
            if (index < 0)
            {
                if (!AdditionalProperties)
                {
                    return false;
                }

                continue;
            }

            // Of a repeated name JsonSchema.Net evaluates the first value only (it finds properties by JSON Pointer).
            var bit = 1UL << index;
            if ((seen & bit) != 0)
            {
                continue;
            }

            seen |= bit;
            if (!PropertySchemas[index].IsValid(property.Value))
            {
                return false;
            }
        }

        return (seen & RequiredMask) == RequiredMask;
    }

    private int IndexOf(JsonProperty property)
    {
        var name = JsonMarshal.GetRawUtf8PropertyName(property);

        // An escaped name is unescaped as JsonSchema.Net would, with the same exception for a lone surrogate.
        if (name.Contains((byte)'\\'))
        {
            return Array.IndexOf(PropertyNameStrings, property.Name);
        }

        for (var i = 0; i < PropertyNames.Length; i++)
        {
            if (name.SequenceEqual(PropertyNames[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private bool IsValidArray(JsonElement instance)
    {
        if (MinItems > 0 && instance.GetArrayLength() < MinItems)
        {
            return false;
        }

        if (Items is not null)
        {
            foreach (var item in instance.EnumerateArray())
            {
                if (!Items.IsValid(item))
                {
                    return false;
                }
            }
        }

        return true;
    }
}

/// <summary>The draft-07 <c>type</c> names as flags; a schema without <c>type</c> allows <see cref="Any"/>.</summary>
[Flags]
internal enum JsonTypes
{
    None = 0,
    Null = 1,
    Boolean = 2,
    Object = 4,
    Array = 8,
    Number = 16,
    String = 32,
    Integer = 64,
    Any = Null | Boolean | Object | Array | Number | String | Integer,
}

internal enum StringFormat
{
    None,
    DateTime,
    Uri,
}
