using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ChargeLedger.Ledger;

/// <summary>
/// A canonical JSON form for hashing: object keys sorted ordinally, no whitespace, numbers normalised through
/// decimal. PostgreSQL's jsonb reorders keys and normalises numbers, so the hash is computed over this form both
/// when an event is written and when it is read back from mt_events for verification.
/// </summary>
/// <remarks>
/// Every event of a transaction stream goes through here on the write path, so the common case works on the document's
/// raw UTF-8 without a string per key, value or number: a key or string value with no escape in it is its own UTF-8 text,
/// and a key of printable ASCII sorts by its bytes exactly as by its UTF-16 code units. Anything else (an escaped or
/// non-ASCII key, an escaped string) takes the decoded-string path, which defines the form. Both paths give the same
/// bytes: <c>CanonicalJsonEquivalenceTests</c> checks them against that definition over generated documents.
/// </remarks>
public static class CanonicalJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static byte[] ToUtf8(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        WriteTo(buffer, element);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Appends the canonical form of <paramref name="element"/> to <paramref name="output"/>.</summary>
    public static void WriteTo(IBufferWriter<byte> output, JsonElement element)
    {
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        Write(writer, element);
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                WriteProperties(writer, element);
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                // The raw value is the quoted text as it stands in the document; without a backslash it is the string itself.
                var quoted = JsonMarshal.GetRawUtf8Value(element);
                var text = quoted[1..^1];
                if (text.IndexOf((byte)'\\') < 0)
                {
                    writer.WriteStringValue(text);
                }
                else
                {
                    writer.WriteStringValue(element.GetString());
                }

                break;
            case JsonValueKind.Number:
                WriteNumber(writer, JsonMarshal.GetRawUtf8Value(element));
                break;
            case JsonValueKind.True:
                writer.WriteBooleanValue(true);
                break;
            case JsonValueKind.False:
                writer.WriteBooleanValue(false);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    private static void WriteProperties(Utf8JsonWriter writer, JsonElement element)
    {
        var count = element.GetPropertyCount();
        var properties = ArrayPool<Property>.Shared.Rent(Math.Max(count, 1));
        try
        {
            var i = 0;
            var plain = true;
            foreach (var property in element.EnumerateObject())
            {
                plain &= IsPlainAscii(JsonMarshal.GetRawUtf8PropertyName(property));
                properties[i] = new Property(property, i);
                i++;
            }

            var span = properties.AsSpan(0, count);
            if (plain)
            {
                span.Sort(static (a, b) => a.RawName.SequenceCompareTo(b.RawName) is var c and not 0 ? c : a.Index.CompareTo(b.Index));
                foreach (var property in span)
                {
                    writer.WritePropertyName(property.RawName);
                    Write(writer, property.Value.Value);
                }
            }
            else
            {
                // Decoded names, in ordinal (UTF-16) order; equal names keep their document order.
                var named = new (string Name, int Index, JsonElement Value)[count];
                for (var n = 0; n < count; n++)
                {
                    named[n] = (span[n].Value.Name, span[n].Index, span[n].Value.Value);
                }

                Array.Sort(named, static (a, b) => string.CompareOrdinal(a.Name, b.Name) is var c and not 0 ? c : a.Index.CompareTo(b.Index));
                foreach (var (name, _, value) in named)
                {
                    writer.WritePropertyName(name);
                    Write(writer, value);
                }
            }
        }
        finally
        {
            ArrayPool<Property>.Shared.Return(properties, clearArray: true);
        }
    }

    /// <summary>Printable ASCII with no escape: the raw key is its decoded text, and byte order is UTF-16 ordinal order.</summary>
    private static bool IsPlainAscii(ReadOnlySpan<byte> name)
    {
        foreach (var b in name)
        {
            if (b is < 0x20 or > 0x7E or (byte)'\\')
            {
                return false;
            }
        }

        return true;
    }

    private static void WriteNumber(Utf8JsonWriter writer, ReadOnlySpan<byte> raw)
    {
        Span<byte> normalised = stackalloc byte[64];
        if (decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) &&
            Normalise(d).TryFormat(normalised, out var written, default, CultureInfo.InvariantCulture))
        {
            writer.WriteRawValue(normalised[..written], skipInputValidation: true);
        }
        else
        {
            writer.WriteRawValue(raw, skipInputValidation: true);
        }
    }

    /// <summary>Drops trailing fractional zeros so 1.50 and 1.5 hash alike.</summary>
    private static decimal Normalise(decimal value) => value / 1.0000000000000000000000000000m;

    private readonly record struct Property(JsonProperty Value, int Index)
    {
        public ReadOnlySpan<byte> RawName => JsonMarshal.GetRawUtf8PropertyName(Value);
    }
}
