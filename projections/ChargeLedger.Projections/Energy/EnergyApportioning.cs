using ChargeLedger.Shared;
using ChargeLedger.Transactions;

namespace ChargeLedger.Projections.Energy;

/// <summary>
/// Spreads a transaction's energy over time (issue 3). The register points are meterStart at the start, the sampled
/// Energy.Active.Import.Register readings and meterStop at the stop; the energy between two consecutive points is
/// spread linearly over the time between them and booked to 15-minute UTC slots in whole Wh.
/// <list type="bullet">
/// <item>Rounding never loses or invents a Wh: a slot gets round(cumulative energy at its end) - round(cumulative at
/// its start) of the segment, so a segment's slots add up exactly to its energy and the session's to its total.</item>
/// <item>Never negative: a reading below the point already reached (register going backwards, meter glitch) is
/// skipped, as is one older than that point (out of order; the register is cumulative, so the later reading still
/// carries its energy) and one outside the session (before the start, after the stop). The energy of a session with
/// such readings is what the register showed being delivered, max(0, highest register - meterStart); billing bills
/// max(0, meterStop - meterStart); both are equal whenever the samples are consistent.</item>
/// <item>An active session contributes up to its latest sample, so the report grows as meter values arrive.</item>
/// <item>A gap longer than <see cref="MaxInterpolatedGap"/> (a clock fault, a week offline) is not interpolated: its
/// energy is booked to the slot of the later reading, which keeps the document bounded.</item>
/// </list>
/// </summary>
public static class EnergyApportioning
{
    public static readonly TimeSpan MaxInterpolatedGap = TimeSpan.FromDays(7);

    public static EnergySessionView Start(TransactionStarted e) => new()
    {
        Id = StreamKeys.Transaction(e.TransactionId),
        TransactionId = e.TransactionId,
        StationId = e.StationId,
        ChargePointId = e.ChargePointId,
        ConnectorId = e.ConnectorId,
        StartedAt = e.StartedAt,
        LastAt = e.StartedAt,
        MeterStartWh = e.MeterStartWh,
        PointAt = e.StartedAt,
        PointWh = e.MeterStartWh,
    };

    public static void Record(EnergySessionView view, IReadOnlyList<MeterSample> samples)
    {
        foreach (var reading in EnergySamples.Registers(samples))
        {
            AddRegister(view, reading.At, reading.Wh);
        }

        foreach (var reading in EnergySamples.Powers(samples))
        {
            AddPower(view, reading.At, reading.W);
        }
    }

    /// <summary>The stop bounds the session first, so its TransactionData after the stop time is left out; meterStop is the last point.</summary>
    public static void Stop(EnergySessionView view, TransactionStopped e)
    {
        view.StoppedAt = e.StoppedAt;
        Record(view, e.TransactionData);
        AddRegister(view, e.StoppedAt, e.MeterStopWh);
        if (e.StoppedAt > view.LastAt)
        {
            view.LastAt = e.StoppedAt;
        }
    }

    public static void AddRegister(EnergySessionView view, DateTimeOffset at, long wh)
    {
        if (!IsInSession(view, at) || at < view.PointAt || wh < view.PointWh)
        {
            view.SkippedReadings++;
            return;
        }

        var energy = wh - view.PointWh;
        var span = at.UtcTicks - view.PointAt.UtcTicks;
        if (energy > 0 && span == 0)
        {
            SlotAt(view, EnergyPeriods.SlotOf(at)).EnergyWh += energy;
        }
        else if (energy > 0 && span > MaxInterpolatedGap.Ticks)
        {
            var slot = SlotAt(view, EnergyPeriods.SlotOf(at));
            slot.EnergyWh += energy;
            slot.AveragePeakW = Math.Max(slot.AveragePeakW ?? 0, AveragePowerW(energy, span));
        }
        else if (energy > 0)
        {
            Spread(view, view.PointAt.UtcTicks, at.UtcTicks, energy);
        }

        view.EnergyWh += energy;
        view.PointAt = at;
        view.PointWh = wh;
        if (at > view.LastAt)
        {
            view.LastAt = at;
        }
    }

    public static void AddPower(EnergySessionView view, DateTimeOffset at, long w)
    {
        if (!IsInSession(view, at) || w < 0)
        {
            return;
        }

        var slot = SlotAt(view, EnergyPeriods.SlotOf(at));
        slot.SampledPeakW = Math.Max(slot.SampledPeakW ?? 0, w);
        if (at > view.LastAt)
        {
            view.LastAt = at;
        }
    }

    private static bool IsInSession(EnergySessionView view, DateTimeOffset at) =>
        at >= view.StartedAt && (view.StoppedAt is not { } stop || at <= stop);

    /// <summary>Books <paramref name="energy"/> Wh over (from, to] slot by slot, in proportion to the time in each slot.</summary>
    private static void Spread(EnergySessionView view, long fromTicks, long toTicks, long energy)
    {
        var span = toTicks - fromTicks;
        var averageW = AveragePowerW(energy, span);
        var booked = 0L;
        for (var slot = EnergyPeriods.SlotOfTicks(fromTicks); ; slot++)
        {
            var end = Math.Min(EnergyPeriods.SlotStartTicks(slot + 1), toTicks);
            var cumulative = RoundDivide((Int128)energy * (end - fromTicks), span);
            var s = SlotAt(view, slot);
            s.EnergyWh += cumulative - booked;
            s.AveragePeakW = Math.Max(s.AveragePeakW ?? 0, averageW);
            booked = cumulative;
            if (end == toTicks)
            {
                return;
            }
        }
    }

    /// <summary>Wh over a span of ticks as W: Wh × 3,600 s/h ÷ seconds.</summary>
    private static long AveragePowerW(long energyWh, long spanTicks) => RoundDivide((Int128)energyWh * TimeSpan.TicksPerHour, spanTicks);

    /// <summary>Non-negative division rounded half away from zero (saturating: a register jump within a tick is no reason to fail).</summary>
    private static long RoundDivide(Int128 numerator, long denominator) =>
        (long)Int128.Min(((2 * numerator) + denominator) / (2 * (Int128)denominator), long.MaxValue);

    /// <summary>The slot entry, created in order; new points almost always land at the end of the list.</summary>
    private static EnergySlot SlotAt(EnergySessionView view, long slot)
    {
        var slots = view.Slots;
        if (slots.Count == 0 || slots[^1].Slot < slot)
        {
            var added = new EnergySlot { Slot = slot };
            slots.Add(added);
            return added;
        }

        if (slots[^1].Slot == slot)
        {
            return slots[^1];
        }

        var (lo, hi) = (0, slots.Count - 1);
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (slots[mid].Slot == slot)
            {
                return slots[mid];
            }

            if (slots[mid].Slot < slot)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        var inserted = new EnergySlot { Slot = slot };
        slots.Insert(lo, inserted);
        return inserted;
    }
}
