using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ChargeLedger.Ledger;
using ChargeLedger.Transactions;

namespace ChargeLedger.Tests.Ledger;

/// <summary>
/// Hashes already stored in transaction streams were computed by the first, string-based forms of the canonical JSON and
/// the MeterValues fingerprint. The raw-UTF-8 and pooled-buffer forms now used on the write path must give exactly the same
/// bytes for any document, or every chain written before would fail verification. Each is checked here against a copy of
/// its first form over generated inputs (fixed seeds), with the cases where a raw shortcut does not apply (escapes,
/// non-ASCII keys, duplicate keys, numbers beyond decimal) made frequent on purpose.
/// </summary>
public class CanonicalJsonEquivalenceTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void canonical_json_is_byte_for_byte_the_first_form_over_generated_documents(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 500; i++)
        {
            var json = Document(random, depth: 0);
            using var document = JsonDocument.Parse(json);

            var actual = CanonicalJson.ToUtf8(document.RootElement);

            var expected = FirstCanonicalJson.ToUtf8(document.RootElement);
            if (!actual.AsSpan().SequenceEqual(expected))
            {
                Encoding.UTF8.GetString(actual).ShouldBe(Encoding.UTF8.GetString(expected), $"document: {json}");
                actual.ShouldBe(expected, $"document: {json}");
            }
        }
    }

    [Fact]
    public void the_hash_of_a_stored_meter_values_event_is_unchanged()
    {
        // A MeterValuesRecorded as mt_events holds it (jsonb's key order), and its hash from the first form.
        const string stored = """{"samples": [{"unit": "Wh", "phase": null, "value": "1127512", "format": "Raw", "context": "Sample.Periodic", "location": "Outlet", "measurand": "Energy.Active.Import.Register", "timestamp": "2026-12-07T12:01:51.97Z"}], "receivedAt": "2026-12-07T12:01:51.9713833Z", "connectorId": 2, "chargePointId": "SIM-0003", "transactionId": "SIM-0003:136"}""";
        using var document = JsonDocument.Parse(stored);
        var first = FirstHash("480e9c2eb16f4293feca9ccf10e0182fecb0333d25d71e62b21904c156eb8f0b", "transaction:SIM-0003:136", 7,
            "meter_values_recorded", document.RootElement);

        HashChain.Compute("480e9c2eb16f4293feca9ccf10e0182fecb0333d25d71e62b21904c156eb8f0b", "transaction:SIM-0003:136", 7,
            "meter_values_recorded", document.RootElement).ShouldBe(first);
        var scratch = new ArrayBufferWriter<byte>(16);
        scratch.Write("left over from an earlier event"u8);
        HashChain.Compute("480e9c2eb16f4293feca9ccf10e0182fecb0333d25d71e62b21904c156eb8f0b", "transaction:SIM-0003:136", 7,
            "meter_values_recorded", document.RootElement, scratch).ShouldBe(first);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void the_meter_values_fingerprint_is_the_first_forms_over_generated_samples(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 500; i++)
        {
            var samples = Enumerable.Range(0, random.Next(0, 6)).Select(_ => new MeterSample(
                new DateTimeOffset(random.NextInt64(DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks), TimeSpan.Zero)
                    .ToOffset(TimeSpan.FromMinutes(random.Next(-14, 15) * 60)),
                Text(random)!, NullableText(random), NullableText(random), NullableText(random), NullableText(random),
                NullableText(random), NullableText(random))).ToList();
            var connectorId = random.Next(3) == 0 ? random.Next(int.MinValue, int.MaxValue) : random.Next(0, 10);

            MeterReadings.Fingerprint(connectorId, samples).ShouldBe(FirstFingerprint(connectorId, samples));
        }
    }

    private static string? NullableText(Random random) => random.Next(3) == 0 ? null : Text(random);

    private static string Text(Random random)
    {
        string[] pieces = ["Wh", "Energy.Active.Import.Register", "é", "Ω", "😀", "\t", "\"", "\\", "<>&'", "\u0378", "\u2028", "1.50", " ", "L1-N", "\u001f"];
        return string.Concat(Enumerable.Range(0, random.Next(0, 5)).Select(_ => pieces[random.Next(pieces.Length)]));
    }

    private static string Document(Random random, int depth)
    {
        var kind = depth >= 4 ? random.Next(3, 8) : random.Next(0, 8);
        return kind switch
        {
            0 or 1 => "{" + string.Join(",", Keys(random).Select(k => $"{k}:{Document(random, depth + 1)}")) + "}",
            2 => "[" + string.Join(",", Enumerable.Range(0, random.Next(0, 4)).Select(_ => Document(random, depth + 1))) + "]",
            3 or 4 => StringLiteral(random),
            5 => NumberLiteral(random),
            6 => random.Next(2) == 0 ? "true" : "false",
            _ => "null",
        };
    }

    private static List<string> Keys(Random random)
    {
        string[] plain = ["a", "b", "B", "samples", "value", "unit", "receivedAt", "connectorId", "Z", "_x", "a b", "<k>", "1", "aa", "ab"];
        var keys = new List<string>();
        for (var i = random.Next(0, 7); i > 0; i--)
        {
            keys.Add(random.Next(6) switch
            {
                0 => StringLiteral(random), // escapes, non-ASCII, emoji
                1 when keys.Count > 0 => keys[random.Next(keys.Count)], // a duplicate key
                _ => "\"" + plain[random.Next(plain.Length)] + "\"",
            });
        }

        return keys;
    }

    private static string StringLiteral(Random random)
    {
        string[] pieces = ["x", "Wh", "1.50", "é", "\\u00e9", "Ω", "😀", "\\ud83d\\ude00", "\\\"", "\\\\", "\\/", "\\n", "\\t", "\\u0001", "<>&'+",
            "\u0378", "\u2028", "\\u2028", " ", "\u00a0", "\uFEFF", "`"];
        return "\"" + string.Concat(Enumerable.Range(0, random.Next(0, 5)).Select(_ => pieces[random.Next(pieces.Length)])) + "\"";
    }

    private static string NumberLiteral(Random random)
    {
        string[] forms = ["0", "-0", "1", "-1", "1.50", "100.000", "-0.10", "2.5e-1", "1e2", "1E+2", "12345678901234567890123456789",
            "123456789012345678901234567890123", "1e400", "-1e-400", "0.0000000000000000000000000001", "3.14159265358979323846264338327950288",
            "79228162514264337593543950335", "79228162514264337593543950336", "1.0E-5"];
        return random.Next(2) == 0
            ? forms[random.Next(forms.Length)]
            : (random.NextDouble() * Math.Pow(10, random.Next(-8, 12)) * (random.Next(2) == 0 ? 1 : -1)).ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>The hash as first computed: a string prefix, its UTF-8, and the first canonical form.</summary>
    private static string FirstHash(string previousHash, string streamKey, long version, string eventTypeName, JsonElement data)
    {
        var canonical = FirstCanonicalJson.ToUtf8(data);
        var prefix = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{previousHash}\n{streamKey}\n{version}\n{eventTypeName}\n"));
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([.. prefix, .. canonical]));
    }

    /// <summary>The fingerprint as first computed, with a StringBuilder.</summary>
    private static string FirstFingerprint(int connectorId, IReadOnlyList<MeterSample> samples)
    {
        var text = new StringBuilder().Append(connectorId.ToString(CultureInfo.InvariantCulture));
        foreach (var s in samples)
        {
            text.Append('\u001e').Append(s.Timestamp.UtcTicks.ToString(CultureInfo.InvariantCulture))
                .Append('\u001f').Append(s.Value).Append('\u001f').Append(s.Measurand).Append('\u001f').Append(s.Phase)
                .Append('\u001f').Append(s.Unit).Append('\u001f').Append(s.Context).Append('\u001f').Append(s.Format)
                .Append('\u001f').Append(s.Location);
        }

        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    /// <summary>The canonical form as first written: decoded strings throughout, keys sorted by LINQ's stable OrderBy.</summary>
    private static class FirstCanonicalJson
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
                        writer.WriteRawValue((d / 1.0000000000000000000000000000m).ToString(CultureInfo.InvariantCulture), skipInputValidation: true);
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
    }
}
