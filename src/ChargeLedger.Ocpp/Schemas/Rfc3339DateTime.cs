using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ChargeLedger.Ocpp.Schemas;

/// <summary>
/// The <c>date-time</c> format as enforced here: RFC 3339 §5.6 as System.Text.Json reads it, so a schema-valid payload
/// always deserialises. JsonSchema.Net's own check also accepts a space or '_' separator.
/// </summary>
internal static partial class Rfc3339DateTime
{
    private const int MaxLength = 64;

    /// <summary>The definition, registered with JsonSchema.Net. Non-strings are the "type" keyword's concern.</summary>
    public static bool IsValid(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return true;
        }

        var text = value.GetString()!;
        return text.Length <= MaxLength
            && Pattern().IsMatch(text)
            && value.TryGetDateTimeOffset(out _);
    }

    /// <summary>The same answer read from the UTF-8 text, without materialising a string (the compiled schemas' path).</summary>
    public static bool IsValidUtf8(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            return true;
        }

        var text = JsonMarshal.GetRawUtf8Value(value)[1..^1];

        // An escaped string is unescaped as JsonSchema.Net would, with the same exception for a lone surrogate.
        if (text.Contains((byte)'\\'))
        {
            return IsValid(value);
        }

        return text.Length <= MaxLength && HasShape(text) && value.TryGetDateTimeOffset(out _);
    }

    // The pattern below, byte by byte.
    private static bool HasShape(ReadOnlySpan<byte> text)
    {
        if (text.Length < 20
            || !IsDigits(text[..4]) || text[4] != (byte)'-' || !IsDigits(text[5..7]) || text[7] != (byte)'-' || !IsDigits(text[8..10])
            || text[10] != (byte)'T'
            || !IsDigits(text[11..13]) || text[13] != (byte)':' || !IsDigits(text[14..16]) || text[16] != (byte)':' || !IsDigits(text[17..19]))
        {
            return false;
        }

        var offset = text[19..];
        if (offset[0] == (byte)'.')
        {
            var fractionDigits = offset[1..].IndexOfAnyExceptInRange((byte)'0', (byte)'9');
            if (fractionDigits <= 0)
            {
                return false;
            }

            offset = offset[(1 + fractionDigits)..];
        }

        return offset is [(byte)'Z']
            || (offset is [(byte)'+' or (byte)'-', _, _, (byte)':', _, _] && IsDigits(offset[1..3]) && IsDigits(offset[4..6]));
    }

    private static bool IsDigits(ReadOnlySpan<byte> text) => text.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0;

    // RFC 3339 §5.6 date-time with a mandatory offset; TryGetDateTimeOffset adds the calendar check (no Feb 30).
    // Upper-case 'T' and 'Z' only: RFC 3339 allows lower case, but System.Text.Json, which reads the DTOs, does not.
    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Pattern();
}
