using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ChargeLedger.Ledger;

/// <summary>
/// A canonical JSON form for hashing: object keys sorted ordinally, no whitespace, numbers normalised through
/// decimal. PostgreSQL's jsonb reorders keys and normalises numbers, so the hash is computed over this form both
/// when an event is written and when it is read back from mt_events for verification.
/// </summary>
public static class CanonicalJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static byte[] ToUtf8(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, element);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    Write(writer, property.Value);
                }

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
                writer.WriteStringValue(element.GetString());
                break;
            case JsonValueKind.Number:
                var raw = element.GetRawText();
                if (decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                {
                    writer.WriteRawValue(Normalise(d).ToString(CultureInfo.InvariantCulture), skipInputValidation: true);
                }
                else
                {
                    writer.WriteRawValue(raw, skipInputValidation: true);
                }

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

    /// <summary>Drops trailing fractional zeros so 1.50 and 1.5 hash alike.</summary>
    private static decimal Normalise(decimal value) => value / 1.0000000000000000000000000000m;
}
