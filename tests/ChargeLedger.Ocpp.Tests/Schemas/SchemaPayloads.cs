using System.Globalization;
using System.Text.Json;
using CsCheck;

namespace ChargeLedger.Ocpp.Tests.Schemas;

/// <summary>
/// JSON text generated from an OCPP schema: valid payloads in the spellings a charge point may use (escapes, 1.0 for an
/// integer, graphemes of several code units), or, when <c>mutate</c> is set, payloads where now and then a value has the
/// wrong type or a near-miss value, a property is dropped, added or repeated. Numbers stay within what JsonSchema.Net can
/// divide (<see cref="ChargeLedger.Ocpp.Schemas.DecimalMultiple.MaxReferenceDigits"/>).
/// </summary>
internal sealed class SchemaPayloads(JsonElement root, bool mutate)
{
    // Each is one grapheme however it is followed, written as it appears inside a JSON string.
    private static readonly string[] Graphemes =
    [
        "a", "Z", "7", " ", "-", "_", ".", "~", "é", "日", "😀", "e\u0301", "👩\u200d💻", "\\\"", "\\\\", "\\n", "\\t", "\\u00e9", "\\/",
    ];

    private static readonly string[] WrongTypes =
    [
        "null", "true", "false", "0", "-1", "1.5", "\"x\"", "\"\"", "{}", "[]", "[1]", "{\"a\":1}", "\"2024-05-01T10:00:00Z\"",
    ];

    private static readonly string[] BadDateTimes =
    [
        "2024-05-01 10:00:00Z", "2024-05-01t10:00:00Z", "2024-05-01T10:00:00z", "2024-05-01T10:00:00", "2024-02-30T10:00:00Z",
        "2023-02-29T10:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T10:60:00Z", "2024-05-01T10:00:60Z", "2024-05-01T10:00:00+24:00",
        "2024-05-01T10:00:00+0200", "2024-05-01T10:00:00.Z", "2024-05-01T10:00:00.123456789Z", "2024-05-01T10:00:00.1234567Z",
        "2024-05-01T10:00:00.12345678901234567890123456789012345678901234Z", "2024-05-01T10:00:00Z ", " 2024-05-01T10:00:00Z",
        "٢٠٢٤-05-01T10:00:00Z", "", "2024-5-1T10:00:00Z", "+2024-05-01T10:00:00Z", "2024-05-01T10:00Z", "2024-05-01",
        "2024-05-01T10:00:00Z\\n", "2024-05-01T10:00:00_00Z", "2024-05-01T10:00:00.5-00:00", "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z", "2024-05-01T10:00:00+99:00", "2024-05-01T10:00:00+02:00:00", "2024-05-01\\u005410:00:00Z",
    ];

    private static readonly string[] Uris =
    [
        "ftp://diag.example.com/upload", "https://firmware.example.com/v1.2.bin", "http://10.0.0.1:8080/x?y=z",
    ];

    private static readonly string[] OddUris =
    [
        "not a uri", "/relative/path", "http://exa mple.com/", "http://[::1]:80/x", "urn:isbn:123", "ftp://user@[host]/", "http://ü.example/",
        "mailto:a@b.c", "", "http:", "http://a/%zz", "\\u0068ttp://a/",
    ];

    private static readonly string[] Integers =
    [
        "1.0", "1e2", "-0", "2.50e1", "1E+2", "0.1e1", "9223372036854775807", "-9223372036854775808", "12345678901234567890123", "-0.0e5",
    ];

    private static readonly string[] OddIntegers =
    [
        "1.5", "1e-1", "1e400", "-1e400", "1.0000000000000001", "9007199254740993.5", "1e308", "5e-324", "0.99999999999999999999", "\"1\"",
        "9223372036854775808", "123456789012345678901234567890.5",
    ];

    private static readonly string[] Tenths = ["0.3", "0.7", "32", "-0.0", "1e2", "5e-1", "0.50", "12345.6", "1e-1", "2.0e-1", "1e300", "0"];

    private static readonly string[] OddTenths =
    [
        "0.15", "0.01", "1e-5", "0.30000000000000004", "1e-300", "1.5e-1", "123456789012345678901.05", "-0.05", "3.14159", "1e-900",
        "0.1000000000000000000000000000001", "1e900", "7e-2",
    ];

    public Gen<string> For(JsonElement schema)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            return For(root.GetProperty("definitions").GetProperty(reference.GetString()!["#/definitions/".Length..]));
        }

        var valid = Valid(schema);
        return mutate ? Gen.Frequency((24, valid), (1, Mutant(schema))) : valid;
    }

    private Gen<string> Valid(JsonElement schema) => Type(schema) switch
    {
        "object" => Object(schema),
        "array" => Array(schema),
        "string" => String(schema),
        "integer" => Gen.Frequency((8, Gen.Int[-100_000, 2_000_000].Select(i => i.ToString(CultureInfo.InvariantCulture))), (2, Gen.OneOf(Integers))),
        "number" => Gen.Frequency(
            (8, Gen.Int[-100_000, 100_000].Select(k => (k / 10m).ToString(CultureInfo.InvariantCulture))),
            (2, Gen.Int[-1000, 1000].Select(k => $"{k}e-1")),
            (2, Gen.OneOf(Tenths))),
        "boolean" => Gen.OneOf("true", "false"),
        var type => throw new NotSupportedException($"No generator for type {type}"),
    };

    private static Gen<string> Mutant(JsonElement schema)
    {
        var nearMiss = Type(schema) switch
        {
            "string" when schema.TryGetProperty("enum", out var values) => Gen.OneOf(values.EnumerateArray()
                .SelectMany(v => new[] { v.GetString()!.ToLowerInvariant(), v.GetString() + " ", v.GetString()![1..] }).ToArray()).Select(Quote),
            "string" when Format(schema) == "date-time" => Gen.OneOf(BadDateTimes).Select(Quote),
            "string" when Format(schema) == "uri" => Gen.OneOf(OddUris).Select(Quote),
            "string" when schema.TryGetProperty("maxLength", out var max) => Text(max.GetInt32() + 1, max.GetInt32() + 3).Select(Quote),
            "string" => Gen.OneOf("\\uD800", "\\uDC00x", "a\\uD83D").Select(Quote),
            "integer" => Gen.OneOf(OddIntegers),
            "number" => Gen.Frequency((3, Gen.OneOf(OddTenths)), (2, RandomNumber())),
            "array" => Gen.OneOf("[]", "[null]", "[[]]"),
            _ => Gen.OneOf(WrongTypes),
        };

        return Gen.Frequency((3, nearMiss), (2, Gen.OneOf(WrongTypes)), (1, Gen.OneOf("\"\\uD800\"", "\"\\uDC00\"")));
    }

    private Gen<string> Object(JsonElement schema)
    {
        var required = schema.TryGetProperty("required", out var names) ? names.EnumerateArray().Select(n => n.GetString()!).ToHashSet() : [];
        var entries = Gen.Const<List<string>>(() => []);
        if (schema.TryGetProperty("properties", out var properties))
        {
            foreach (var property in properties.EnumerateObject())
            {
                var entry = Gen.Select(Name(property.Name), For(property.Value), (name, value) => name + ":" + value);
                var optional = Gen.Frequency((1, Gen.Const(default(string))), (1, entry.Select(e => (string?)e)));
                var chosen = required.Contains(property.Name) ? entry.Select(e => (string?)e) : optional;
                entries = Gen.Select(entries, chosen, (list, e) => e is null ? list : list.Append(e).ToList());
            }
        }

        entries = Gen.Frequency((3, entries), (1, entries.SelectMany(list => Gen.Shuffle(list.ToArray()).Select(a => a.ToList()))));
        if (mutate)
        {
            var extraNames = properties.ValueKind == JsonValueKind.Object
                ? properties.EnumerateObject().Select(p => Quote(char.ToUpperInvariant(p.Name[0]) + p.Name[1..])).Append("\"extra\"").Append("\"\"").ToArray()
                : ["\"extra\""];
            entries = Gen.Frequency(
                (20, entries),
                (1, Gen.Select(entries, Gen.Int[0, 1000], (list, i) => list.Count == 0 ? list : list.Where((_, j) => j != i % list.Count).ToList())),
                (1, Gen.Select(entries, Gen.OneOf(extraNames), Gen.OneOf(WrongTypes), (list, name, value) => list.Append(name + ":" + value).ToList())),
                (1, Gen.Select(entries, Gen.Int[0, 1000], Gen.OneOf(WrongTypes), Gen.Bool, Repeat)),
                (1, Gen.Select(entries, Gen.OneOf("\"\\uD800\"", "\"a\\uDC00\""), (list, name) => list.Append(name + ":1").ToList())));
        }

        return entries.Select(list => "{" + string.Join(",", list) + "}");
    }

    // The same name again with a wrong value, after or before the good one: JsonSchema.Net evaluates the first only.
    private static List<string> Repeat(List<string> entries, int index, string value, bool before)
    {
        if (entries.Count == 0)
        {
            return entries;
        }

        var entry = entries[index % entries.Count];
        var name = entry[..(entry.IndexOf("\":", StringComparison.Ordinal) + 1)];
        var copy = entries.ToList();
        copy.Insert(before ? index % entries.Count : copy.Count, name + ":" + value);
        return copy;
    }

    private Gen<string> Array(JsonElement schema)
    {
        var min = schema.TryGetProperty("minItems", out var minItems) ? minItems.GetInt32() : 0;
        return For(schema.GetProperty("items")).Array[min, Math.Max(min, 3)].Select(items => "[" + string.Join(",", items) + "]");
    }

    private static Gen<string> String(JsonElement schema)
    {
        if (schema.TryGetProperty("enum", out var values))
        {
            return Gen.OneOf(values.EnumerateArray().Select(v => v.GetString()!).ToArray())
                .SelectMany(v => Gen.Frequency((9, Gen.Const(Quote(v))), (1, Gen.Const(Quote(EscapeFirst(v))))));
        }

        return Format(schema) switch
        {
            "date-time" => DateTimes().Select(Quote),
            "uri" => Gen.OneOf(Uris).Select(Quote),
            _ => Text(0, schema.TryGetProperty("maxLength", out var max) ? max.GetInt32() : 40).Select(Quote),
        };
    }

    // Between min and max graphemes: short mixes, and runs of one grapheme up to the limit (more bytes than graphemes).
    private static Gen<string> Text(int min, int max)
    {
        var run = Gen.Select(Gen.OneOf(Graphemes), Gen.Int[Math.Max(min, max - 3), max], (g, n) => string.Concat(Enumerable.Repeat(g, n)));
        return min > 30 ? run : Gen.Frequency((3, Gen.OneOf(Graphemes).Array[min, Math.Min(max, 30)].Select(string.Concat)), (1, run));
    }

    private static Gen<string> DateTimes()
    {
        var fraction = Gen.OneOf("", ".1", ".123", ".1234567", ".0");
        var offset = Gen.OneOf("Z", "+02:00", "-05:30", "+00:00", "+14:00");
        var text = Gen.Select(Gen.Int[1970, 2100], Gen.Int[1, 12], Gen.Int[1, 28], Gen.Int[0, 23], Gen.Int[0, 59], Gen.Int[0, 59], fraction, offset)
            .Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Item1:D4}-{t.Item2:D2}-{t.Item3:D2}T{t.Item4:D2}:{t.Item5:D2}:{t.Item6:D2}{t.Item7}{t.Item8}"));
        return Gen.Frequency((10, text), (1, text.Select(t => t.Replace("T", "\\u0054", StringComparison.Ordinal))), (1, Gen.Const("2024-02-29T00:00:00Z")));
    }

    private static Gen<string> RandomNumber() =>
        Gen.Select(Gen.Long[0, 1_000_000_000_000], Gen.Int[0, 4], Gen.Int[-30, 30], Gen.Bool, Gen.Bool)
            .Select(n =>
            {
                var digits = n.Item1.ToString(CultureInfo.InvariantCulture).PadLeft(n.Item2 + 1, '0');
                var text = n.Item2 == 0 ? digits : digits[..^n.Item2] + "." + digits[^n.Item2..];
                text = n.Item4 ? text + "e" + n.Item3.ToString(CultureInfo.InvariantCulture) : text;
                return n.Item5 ? "-" + text : text;
            });

    private static Gen<string> Name(string name) =>
        Gen.Frequency((9, Gen.Const(Quote(name))), (1, Gen.Const(Quote(EscapeFirst(name)))));

    private static string EscapeFirst(string text) =>
        text.Length == 0 ? text : string.Create(CultureInfo.InvariantCulture, $"\\u{(int)text[0]:x4}{text[1..]}");

    private static string Quote(string jsonStringContent) => "\"" + jsonStringContent + "\"";

    private static string Type(JsonElement schema) => schema.GetProperty("type").GetString()!;

    private static string? Format(JsonElement schema) => schema.TryGetProperty("format", out var format) ? format.GetString() : null;
}
