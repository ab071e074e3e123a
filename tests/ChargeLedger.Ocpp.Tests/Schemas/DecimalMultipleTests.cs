using System.Globalization;
using System.Text;
using System.Text.Json;
using ChargeLedger.Ocpp.Schemas;
using CsCheck;
using Json.Schema;

namespace ChargeLedger.Ocpp.Tests.Schemas;

public class DecimalMultipleTests
{
    private static readonly string[] Divisors = ["0.1", "0.25", "3", "7e-3", "1.5", "10", "0.001", "12345678.9", "1E1", "0.10"];

    // Digits with leading and trailing zeros, a fraction, an exponent in either case and sign, a sign.
    private static readonly Gen<string> Numbers =
        Gen.Select(Gen.Long[0, 1_000_000_000_000_000], Gen.Int[0, 6], Gen.Int[-40, 40], Gen.OneOf("", "e", "E", "e+"), Gen.Int[0, 3], Gen.Bool)
            .Select(n =>
            {
                var digits = n.Item1.ToString(CultureInfo.InvariantCulture).PadLeft(n.Item2 + 1, '0') + new string('0', n.Item5);
                var text = n.Item2 == 0 ? digits : digits[..^n.Item2] + "." + digits[^n.Item2..];
                text = text.TrimStart('0') is { Length: > 0 } trimmed && trimmed[0] != '.' ? trimmed : "0" + text.TrimStart('0');
                var exponent = n.Item4 == "e+" ? Math.Abs(n.Item3) : n.Item3;
                text = n.Item4.Length == 0 ? text : text + n.Item4 + exponent.ToString(CultureInfo.InvariantCulture);
                return n.Item6 ? "-" + text : text;
            });

    [Fact]
    public void divides_as_json_schema_net_does()
    {
        Gen.Select(Numbers, Gen.OneOf(Divisors)).Sample((number, divisor) =>
        {
            DecimalMultiple.TryCreate(Encoding.UTF8.GetBytes(divisor), out var multiple).ShouldBeTrue(divisor);

            multiple.Divides(Encoding.UTF8.GetBytes(number)).ShouldBe(JsonMath.Divides(Element(number), Element(divisor)), $"{number} / {divisor}");
        }, iter: 20_000);
    }

    [Theory]
    [InlineData("1e-1200", "0.1")]
    [InlineData("1e2999", "0.1")]
    [InlineData("123456789e-1500", "7e-3")]
    [InlineData("3e1499", "7e-3")]
    [InlineData("0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000005", "0.25")]
    public void divides_numbers_far_beyond_double_as_json_schema_net_does(string number, string divisor)
    {
        DecimalMultiple.TryCreate(Encoding.UTF8.GetBytes(divisor), out var multiple).ShouldBeTrue();

        multiple.Divides(Encoding.UTF8.GetBytes(number)).ShouldBe(JsonMath.Divides(Element(number), Element(divisor)));
    }

    [Theory]
    [InlineData("0.3", true)]
    [InlineData("0.15", false)]
    [InlineData("1e2999", true)]
    [InlineData("1e-2999", false)]
    [InlineData("-0", true)]
    [InlineData("0e99999999999", true)]
    [InlineData("1e99999999999", false)]
    public void decides_a_multiple_of_one_tenth_in_exact_decimal_arithmetic(string number, bool isMultiple)
    {
        DecimalMultiple.TryCreate("0.1"u8, out var tenth).ShouldBeTrue();

        tenth.Divides(Encoding.UTF8.GetBytes(number)).ShouldBe(isMultiple);
    }

    [Theory]
    [InlineData("12.5", false)]
    [InlineData("1e-900", false)]
    [InlineData("1e-1200", true)]
    [InlineData("1e1200", true)]
    [InlineData("1e99999999999", true)]
    public void knows_which_numbers_json_schema_net_must_not_be_handed(string number, bool beyond)
    {
        DecimalMultiple.TryCreate("0.1"u8, out var tenth).ShouldBeTrue();

        tenth.IsBeyondReference(Encoding.UTF8.GetBytes(number)).ShouldBe(beyond);
    }

    private static JsonElement Element(string number)
    {
        using var document = JsonDocument.Parse(number);
        return document.RootElement.Clone();
    }
}
