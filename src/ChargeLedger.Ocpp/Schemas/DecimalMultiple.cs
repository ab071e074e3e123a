using System.Text;

namespace ChargeLedger.Ocpp.Schemas;

/// <summary>
/// A <c>multipleOf</c> divisor, <c>Significand × 10^-Scale</c>, checked against a JSON number's text in exact decimal
/// arithmetic. JsonSchema.Net 8 also divides the decimal digits (JsonMath.Divides), so 0.3 is a multiple of 0.1 as the
/// charging-profile limits need, where a double remainder would say no. <see cref="Text"/> is the schema's spelling.
/// </summary>
internal readonly record struct DecimalMultiple(ulong Significand, int Scale, string Text)
{
    /// <summary>
    /// Past this many digits (plus the difference in scale) JsonSchema.Net is not asked: JsonMath.Divides stack-allocates
    /// a digit buffer that long and divides by repeated subtraction, so <c>1e-9999999</c> overflows the stack and ends
    /// the process, and a few thousand digits already cost it milliseconds.
    /// </summary>
    public const int MaxReferenceDigits = 1_000;

    // Leaves r × 10 + 9 inside a ulong while the remainder is streamed digit by digit.
    private const ulong MaxSignificand = 100_000_000_000_000_000;

    // JsonSchema.Net reads the exponent into an int; this bound keeps Scale arithmetic in a long.
    private const int MaxExponentDigits = 9;

    public static bool TryCreate(ReadOnlySpan<byte> number, out DecimalMultiple divisor)
    {
        divisor = default;
        if (number.Length == 0 || number[0] == (byte)'-' || !TryRead(number, out var integer, out var fraction, out var exponent))
        {
            return false;
        }

        var scale = (long)fraction.Length - exponent;
        if (!TryAccumulate(integer, 0, out var significand) || !TryAccumulate(fraction, significand, out significand) || significand == 0)
        {
            return false;
        }

        while (significand % 10 == 0)
        {
            significand /= 10;
            scale--;
        }

        if (scale is < int.MinValue or > int.MaxValue)
        {
            return false;
        }

        divisor = new DecimalMultiple(significand, (int)scale, Encoding.UTF8.GetString(number));
        return true;
    }

    /// <summary>Whether the number (raw JSON text) is an integer multiple of this divisor. Zero is; the sign does not matter.</summary>
    public bool Divides(ReadOnlySpan<byte> number)
    {
        if (!TryRead(number, out var integer, out var fraction, out var exponent))
        {
            // An exponent past a billion: JsonSchema.Net's int overflows there; nothing sensible is a multiple.
            return IsZero(integer) && IsZero(fraction);
        }

        if (IsZero(integer) && IsZero(fraction))
        {
            return true;
        }

        // number = N × 10^-scale with N the digits of the integer and fraction parts; bring both to the finer scale.
        var scale = (long)fraction.Length - exponent;
        if (scale <= Scale)
        {
            return MultiplyByPowerOfTen(Remainder(integer, fraction, 0), Scale - scale) == 0;
        }

        var dropped = scale - Scale;
        return TrailingZeros(integer, fraction) >= dropped && Remainder(integer, fraction, (int)dropped) == 0;
    }

    /// <summary>Whether JsonSchema.Net must not be handed this number at a <c>multipleOf</c> (see <see cref="MaxReferenceDigits"/>).</summary>
    public bool IsBeyondReference(ReadOnlySpan<byte> number)
    {
        if (!TryRead(number, out var integer, out var fraction, out var exponent))
        {
            return true;
        }

        var scale = (long)fraction.Length - exponent;
        return integer.Length + fraction.Length + Math.Abs(scale - Scale) > MaxReferenceDigits;
    }

    // JSON number grammar (RFC 8259 §6), already enforced by the parser: -? int (. frac)? ([eE] [+-]? digits)?
    private static bool TryRead(ReadOnlySpan<byte> number, out ReadOnlySpan<byte> integer, out ReadOnlySpan<byte> fraction, out long exponent)
    {
        if (number.Length > 0 && number[0] == (byte)'-')
        {
            number = number[1..];
        }

        var e = number.IndexOfAny((byte)'e', (byte)'E');
        var mantissa = e < 0 ? number : number[..e];
        var dot = mantissa.IndexOf((byte)'.');
        integer = dot < 0 ? mantissa : mantissa[..dot];
        fraction = dot < 0 ? [] : mantissa[(dot + 1)..];
        exponent = 0;
        if (e < 0)
        {
            return true;
        }

        var digits = number[(e + 1)..];
        var negative = digits[0] == (byte)'-';
        if (digits[0] is (byte)'-' or (byte)'+')
        {
            digits = digits[1..];
        }

        digits = digits.TrimStart((byte)'0');
        if (digits.Length > MaxExponentDigits)
        {
            return false;
        }

        foreach (var digit in digits)
        {
            exponent = exponent * 10 + (digit - '0');
        }

        exponent = negative ? -exponent : exponent;
        return true;
    }

    private static bool TryAccumulate(ReadOnlySpan<byte> digits, ulong value, out ulong result)
    {
        result = value;
        foreach (var digit in digits)
        {
            result = result * 10 + (ulong)(digit - '0');
            if (result >= MaxSignificand)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsZero(ReadOnlySpan<byte> digits) => digits.IndexOfAnyExcept((byte)'0') < 0;

    private static long TrailingZeros(ReadOnlySpan<byte> integer, ReadOnlySpan<byte> fraction)
    {
        var inFraction = fraction.Length - 1 - fraction.LastIndexOfAnyExcept((byte)'0');
        return inFraction < fraction.Length
            ? inFraction
            : fraction.Length + integer.Length - 1 - integer.LastIndexOfAnyExcept((byte)'0');
    }

    // N mod Significand over the digits of N without its last `dropped` ones (all zeros, checked by the caller).
    private ulong Remainder(ReadOnlySpan<byte> integer, ReadOnlySpan<byte> fraction, int dropped)
    {
        var fromFraction = Math.Min(dropped, fraction.Length);
        fraction = fraction[..^fromFraction];
        integer = integer[..^(dropped - fromFraction)];
        ulong remainder = 0;
        foreach (var digit in integer)
        {
            remainder = (remainder * 10 + (ulong)(digit - '0')) % Significand;
        }

        foreach (var digit in fraction)
        {
            remainder = (remainder * 10 + (ulong)(digit - '0')) % Significand;
        }

        return remainder;
    }

    // remainder × 10^power mod Significand, by squaring: the power can be as large as the exponent.
    private ulong MultiplyByPowerOfTen(ulong remainder, long power)
    {
        UInt128 result = remainder;
        UInt128 square = 10 % Significand;
        while (power > 0 && result != 0)
        {
            if ((power & 1) == 1)
            {
                result = result * square % Significand;
            }

            square = square * square % Significand;
            power >>= 1;
        }

        return (ulong)result;
    }
}
