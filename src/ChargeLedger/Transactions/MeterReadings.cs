using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

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
    /// <remarks>
    /// SHA-256 (first 16 bytes, hex) over the UTF-8 of: the connector id, then per sample U+001E, the timestamp's UTC ticks
    /// and each field after U+001F (a null field is empty). Built in pooled buffers: every MeterValues computes it twice
    /// (the duplicate check and the transaction's fold).
    /// </remarks>
    public static string Fingerprint(int connectorId, IReadOnlyList<MeterSample> samples)
    {
        var length = 11;
        foreach (var s in samples)
        {
            length += 1 + 20 + 7 + (s.Value?.Length ?? 0) + (s.Measurand?.Length ?? 0) + (s.Phase?.Length ?? 0) + (s.Unit?.Length ?? 0) +
                (s.Context?.Length ?? 0) + (s.Format?.Length ?? 0) + (s.Location?.Length ?? 0);
        }

        var chars = ArrayPool<char>.Shared.Rent(length);
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(length));
        try
        {
            var text = chars.AsSpan();
            connectorId.TryFormat(text, out var n, default, CultureInfo.InvariantCulture);
            foreach (var s in samples)
            {
                text[n++] = '\u001e';
                s.Timestamp.UtcTicks.TryFormat(text[n..], out var ticks, default, CultureInfo.InvariantCulture);
                n += ticks;
                Field(text, ref n, s.Value);
                Field(text, ref n, s.Measurand);
                Field(text, ref n, s.Phase);
                Field(text, ref n, s.Unit);
                Field(text, ref n, s.Context);
                Field(text, ref n, s.Format);
                Field(text, ref n, s.Location);
            }

            var utf8 = Encoding.UTF8.GetBytes(text[..n], bytes);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(bytes.AsSpan(0, utf8), hash);
            return Convert.ToHexStringLower(hash[..16]);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
            ArrayPool<byte>.Shared.Return(bytes);
        }

        static void Field(Span<char> text, ref int n, string? value)
        {
            text[n++] = '\u001f';
            value.AsSpan().CopyTo(text[n..]);
            n += value?.Length ?? 0;
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
