using System.Globalization;

namespace ChargeLedger.Transactions;

public readonly record struct EnergyReading(DateTimeOffset Timestamp, long Wh);

/// <summary>Reads the energy register out of sampled values without altering what was stored.</summary>
public static class MeterReadings
{
    public const string EnergyActiveImportRegister = "Energy.Active.Import.Register";

    /// <summary>10^15 Wh (1 TWh) or W: anything larger is a corrupt value (and would not fit a long once scaled).</summary>
    public const decimal MaxValue = 1_000_000_000_000_000m;

    /// <summary>
    /// Energy.Active.Import.Register readings in Wh: the measurand defaults to it when absent, the unit defaults to Wh
    /// (OCPP 1.6 §7.43); per-phase values, signed (non-raw) values and absurd values (beyond <see cref="MaxValue"/>)
    /// are left out. The one reader of the register: the write side's checks, pricing and the energy report use it.
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
            if (wh is { } w && Math.Abs(w) < MaxValue)
            {
                yield return new EnergyReading(s.Timestamp, (long)Math.Round(w, MidpointRounding.AwayFromZero));
            }
        }
    }

    /// <summary>
    /// Identifies one MeterValues message by its content, so a charge point resending it (no CALLRESULT seen, e.g.
    /// after a reconnect; OCPP 1.6 §3.7 retries) is recognised and not recorded twice (DESIGN rule 2).
    /// </summary>
    public static string Fingerprint(int connectorId, IReadOnlyList<MeterSample> samples)
    {
        var text = new System.Text.StringBuilder().Append(connectorId.ToString(CultureInfo.InvariantCulture));
        foreach (var s in samples)
        {
            text.Append('\u001e').Append(s.Timestamp.UtcTicks.ToString(CultureInfo.InvariantCulture))
                .Append('\u001f').Append(s.Value).Append('\u001f').Append(s.Measurand).Append('\u001f').Append(s.Phase)
                .Append('\u001f').Append(s.Unit).Append('\u001f').Append(s.Context).Append('\u001f').Append(s.Format)
                .Append('\u001f').Append(s.Location);
        }

        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text.ToString()));
        return Convert.ToHexStringLower(hash.AsSpan(0, 16));
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
