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

    /// <summary>10^15 Wh (1 TWh) or W: anything larger is a corrupt value, and the sums over a session stay far from overflow.</summary>
    public const decimal MaxValue = 1_000_000_000_000_000m;

    /// <summary>Energy.Active.Import.Register readings in Wh (Wh or kWh; the measurand and the unit Wh are the defaults), oldest first.</summary>
    public static List<RegisterReading> Registers(IReadOnlyList<MeterSample> samples)
    {
        var readings = new List<RegisterReading>(samples.Count);
        foreach (var s in samples)
        {
            if ((s.Measurand ?? MeterReadings.EnergyActiveImportRegister) == MeterReadings.EnergyActiveImportRegister && IsTotalAtOutlet(s)
                && Parse(s, "Wh", "kWh") is { } wh)
            {
                readings.Add(new RegisterReading(s.Timestamp, wh));
            }
        }

        return InTimeOrder(readings, r => r.At);
    }

    /// <summary>Power.Active.Import readings in W (W or kW; an absent unit is taken as W), oldest first.</summary>
    public static List<PowerReading> Powers(IReadOnlyList<MeterSample> samples)
    {
        var readings = new List<PowerReading>();
        foreach (var s in samples)
        {
            if (s.Measurand == PowerActiveImport && IsTotalAtOutlet(s) && Parse(s, "W", "kW") is { } w)
            {
                readings.Add(new PowerReading(s.Timestamp, w));
            }
        }

        return InTimeOrder(readings, r => r.At);
    }

    private static bool IsTotalAtOutlet(MeterSample s) =>
        s.Phase is null && (s.Location is null or "Outlet") && (s.Format is null or "Raw");

    /// <summary>The value in the base unit, rounded half away from zero; null for another unit, an unparsable or an absurd value.</summary>
    private static long? Parse(MeterSample s, string unit, string kiloUnit)
    {
        if (!decimal.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return null;
        }

        var scaled = s.Unit is null || s.Unit == unit ? value : s.Unit == kiloUnit ? value * 1000m : (decimal?)null;
        return scaled is { } v && Math.Abs(v) < MaxValue ? (long)Math.Round(v, MidpointRounding.AwayFromZero) : null;
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
