using System.Globalization;

namespace ChargeLedger.Simulator;

/// <summary>
/// The <c>--name value</c> options (and bare flags) a mode takes after its word, each a function from the options so far
/// and the value to the new options, or null when the value is not valid. One table per mode, so an option's name, its
/// check and its effect stand together, and "unknown" and "invalid" need no list of names kept in step.
/// </summary>
internal sealed class OptionTable<T>
    where T : class
{
    private readonly Dictionary<string, Func<T, string, T?>> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<T, T>> _flags = new(StringComparer.Ordinal);

    public OptionTable<T> Value(string name, Func<T, string, T?> apply)
    {
        _values.Add(name, apply);
        return this;
    }

    public OptionTable<T> Flag(string name, Func<T, T> apply)
    {
        _flags.Add(name, apply);
        return this;
    }

    /// <summary>Applies <paramref name="args"/> after the mode word (args[0]) to <paramref name="options"/>.</summary>
    public bool TryApply(string[] args, ref T options, out string error)
    {
        error = "";
        for (var i = 1; i < args.Length; i++)
        {
            var name = args[i];
            if (_flags.TryGetValue(name, out var flag))
            {
                options = flag(options);
                continue;
            }

            if (!_values.TryGetValue(name, out var apply))
            {
                error = $"unknown option '{name}'";
                return false;
            }

            if (i + 1 >= args.Length)
            {
                error = $"{name} needs a value";
                return false;
            }

            var value = args[++i];
            if (apply(options, value) is not { } next)
            {
                error = $"invalid value '{value}' for {name}";
                return false;
            }

            options = next;
        }

        return true;
    }
}

/// <summary>Value checks the option tables share; each is null when the text is not a valid value.</summary>
internal static class OptionValue
{
    public static int? Int(string value, int min, int max) =>
        int.TryParse(value, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max ? number : null;

    public static long? Long(string value, long min, long max) =>
        long.TryParse(value, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max ? number : null;

    /// <summary>A number in [min, max]; <paramref name="exclusiveMin"/> makes the lower bound open.</summary>
    public static double? Double(string value, double min, double max, bool exclusiveMin = false) =>
        double.TryParse(value, CultureInfo.InvariantCulture, out var number) && (exclusiveMin ? number > min : number >= min) && number <= max
            ? number
            : null;

    public static TimeSpan? Seconds(string value, double min, double max, bool exclusiveMin = false) =>
        Double(value, min, max, exclusiveMin) is { } seconds ? TimeSpan.FromSeconds(seconds) : null;

    public static string? NonEmpty(string value) => value.Length > 0 ? value : null;

    /// <summary>An http(s) base address, with a trailing slash so relative API paths resolve under it.</summary>
    public static Uri? HttpUrl(string value) =>
        Uri.TryCreate(value.TrimEnd('/') + "/", UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
            ? url
            : null;
}
