using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChargeLedger.Shared;

/// <summary>
/// Times are ISO-8601 UTC with "Z" everywhere (CONTRACT.md): in API answers and in stored events, so what finance
/// reads in an event is what the API shows. Reading accepts any offset.
/// </summary>
public sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture));
}
