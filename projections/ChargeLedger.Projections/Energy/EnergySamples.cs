using System.Globalization;
using ChargeLedger.Transactions;

namespace ChargeLedger.Projections.Energy;

public readonly record struct RegisterReading(DateTimeOffset At, long Wh);

public readonly record struct PowerReading(DateTimeOffset At, long W);

/// <summary>
/// The sampled values the energy report uses (OCPP 1.6 §7.43 SampledValue): totals only (no phase), measured at the
/// outlet (location Outlet or absent; Inlet/EV/Body readings are not what the connector delivered), raw values only
/// (signed data is kept for audit, not parsed). Values are parsed with the invariant culture.
/// </summary>
public static class EnergySamples
{
    public const string PowerActiveImport = "Power.Active.Import";

    /// <summary>
    /// Energy.Active.Import.Register readings in Wh as <see cref="MeterReadings.EnergyRegister"/> reads them (the same
    /// reading pricing and the write side use), measured at the outlet, oldest first.
    /// </summary>
    public static List<RegisterReading> Registers(IReadOnlyList<MeterSample> samples) =>
        InTimeOrder(MeterReadings.EnergyRegister(samples.Where(IsAtOutlet)).Select(r => new RegisterReading(r.Timestamp, r.Wh)).ToList(), r => r.At);

    /// <summary>Power.Active.Import readings in W (W or kW; an absent unit is taken as W), oldest first.</summary>
    public static List<PowerReading> Powers(IReadOnlyList<MeterSample> samples)
    {
        var readings = new List<PowerReading>();
        foreach (var s in samples)
        {
            if (s.Measurand == PowerActiveImport && IsAtOutlet(s) && s.Phase is null && (s.Format is null or "Raw") && Parse(s) is { } w)
            {
                readings.Add(new PowerReading(s.Timestamp, w));
            }
        }

        return InTimeOrder(readings, r => r.At);
    }

    private static bool IsAtOutlet(MeterSample s) => s.Location is null or "Outlet";

    /// <summary>The power in W, rounded half away from zero; null for another unit, an unparsable or an absurd value.</summary>
    private static long? Parse(MeterSample s)
    {
        if (!decimal.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return null;
        }

        var scaled = s.Unit is null or "W" ? value : s.Unit == "kW" ? value * 1000m : (decimal?)null;
        return scaled is { } v && Math.Abs(v) < MeterReadings.MaxValue ? (long)Math.Round(v, MidpointRounding.AwayFromZero) : null;
    }

    /// <summary>Samples of one message usually come in time order; sort (stably) only when they do not.</summary>
    private static List<T> InTimeOrder<T>(List<T> readings, Func<T, DateTimeOffset> at)
    {
        for (var i = 1; i < readings.Count; i++)
        {
            if (at(readings[i]) < at(readings[i - 1]))
            {
                return [.. readings.OrderBy(at)];
            }
        }

        return readings;
    }
}
