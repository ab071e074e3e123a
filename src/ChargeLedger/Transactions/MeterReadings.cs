using System.Globalization;

namespace ChargeLedger.Transactions;

public readonly record struct EnergyReading(DateTimeOffset Timestamp, long Wh);

/// <summary>Reads the energy register out of sampled values without altering what was stored.</summary>
public static class MeterReadings
{
    public const string EnergyActiveImportRegister = "Energy.Active.Import.Register";

    /// <summary>
    /// Energy.Active.Import.Register readings in Wh: the measurand defaults to it when absent, the unit defaults to Wh
    /// (OCPP 1.6 §7.43); per-phase values and signed (non-raw) values are left out.
    /// </summary>
    public static IEnumerable<EnergyReading> EnergyRegister(IEnumerable<MeterSample> samples)
    {
        foreach (var s in samples)
        {
            if ((s.Measurand ?? EnergyActiveImportRegister) != EnergyActiveImportRegister || s.Phase is not null)
            {
                continue;
            }

            if (s.Format is not null && s.Format != "Raw")
            {
                continue;
            }

            if (!decimal.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                continue;
            }

            var wh = s.Unit switch
            {
                null or "Wh" => value,
                "kWh" => value * 1000m,
                _ => (decimal?)null,
            };
            if (wh is { } w)
            {
                yield return new EnergyReading(s.Timestamp, (long)Math.Round(w, MidpointRounding.AwayFromZero));
            }
        }
    }

    public static EnergyReading? LatestEnergyRegister(IEnumerable<MeterSample> samples)
    {
        EnergyReading? latest = null;
        foreach (var r in EnergyRegister(samples))
        {
            if (latest is null || r.Timestamp >= latest.Value.Timestamp)
            {
                latest = r;
            }
        }

        return latest;
    }
}
