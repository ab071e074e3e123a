using System.Text.Json;
using ChargeLedger.Ocpp.Schemas;
using CsCheck;

namespace ChargeLedger.Ocpp.Tests.Schemas;

public class Rfc3339DateTimeTests
{
    private const string Template = "2024-02-29T23:59:58.123+02:00";

    // A valid date-time with a few characters replaced, removed or added from an alphabet of near misses.
    private static readonly Gen<string> NearMisses =
        Gen.Select(Gen.Select(Gen.Int[0, Template.Length - 1], Gen.OneOf("0", "9", "3", "-", ":", ".", "T", "t", "Z", "z", "+", " ", "_", "٣", "\\u0054", "\\n", "")).Array[0, 3], Gen.Int[0, 12])
            .Select((edits, cut) =>
            {
                var text = Template;
                foreach (var (at, replacement) in edits)
                {
                    var index = Math.Min(at, text.Length - 1);
                    text = index < 0 ? replacement : text[..index] + replacement + text[(index + 1)..];
                }

                return cut > 9 ? text[..Math.Max(0, text.Length - (cut - 9) * 3)] : text;
            })
            .Where(IsJsonStringContent);

    [Fact]
    public void reads_the_utf8_text_as_the_pattern_reads_the_string()
    {
        NearMisses.Sample(text =>
        {
            using var document = JsonDocument.Parse("\"" + text + "\"");

            Outcome(() => Rfc3339DateTime.IsValidUtf8(document.RootElement)).ShouldBe(Outcome(() => Rfc3339DateTime.IsValid(document.RootElement)), text);
        }, iter: 20_000);
    }

    private static bool IsJsonStringContent(string text)
    {
        try
        {
            using var document = JsonDocument.Parse("\"" + text + "\"");
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Outcome(Func<bool> verdict)
    {
        try
        {
            return verdict().ToString();
        }
        catch (Exception ex)
        {
            return ex.GetType().Name;
        }
    }
}
