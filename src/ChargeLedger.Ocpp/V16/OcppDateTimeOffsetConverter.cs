using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChargeLedger.Ocpp.V16;

/// <summary>
/// Writes OCPP timestamps as UTC with a 'Z' suffix (RFC 3339 §5.6), e.g. <c>2024-05-01T10:00:00.123Z</c>.
/// System.Text.Json would write <c>+00:00</c> and seven fraction digits, which some 1.6 charge points reject.
/// </summary>
public sealed class OcppDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTimeOffset();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        var utc = value.UtcDateTime;
        var format = (utc.Ticks % TimeSpan.TicksPerSecond) switch
        {
            0 => "yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'",
            var t when t % TimeSpan.TicksPerMillisecond == 0 => "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'",
            _ => "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff'Z'",
        };

        Span<byte> buffer = stackalloc byte[32];
        utc.TryFormat(buffer, out var written, format, CultureInfo.InvariantCulture);
        writer.WriteStringValue(buffer[..written]);
    }
}
