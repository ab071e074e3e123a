using ChargeLedger.Gateways;
using ChargeLedger.Projections.Energy;
using ChargeLedger.Telemetry;

namespace ChargeLedger.Projections.Grid;

/// <summary>
/// Station grid import from meter telemetry (issue 4). The register points are the meter's
/// Energy.Active.Import.Register readings (Wh or kWh); the import between two consecutive readings is spread linearly
/// over the time between them and booked to 15-minute UTC slots, as the energy read model does for charge points.
/// A reading below the previous one (meter reset, exchange, glitch) is flagged as a reset and starts a new baseline:
/// that stretch adds nothing, it is never subtracted. A gap longer than <see cref="EnergyApportioning.MaxInterpolatedGap"/>
/// is booked to the slot of the later reading.
/// </summary>
public static class GridApportioning
{
    public const string ImportRegister = "Energy.Active.Import.Register";

    /// <summary>The import register reading of a message, in Wh; null when it has none (or an error instead of a value).</summary>
    public static decimal? RegisterWh(TelemetryRecorded e)
    {
        if (e.Kind != DeviceKinds.Meter)
        {
            return null;
        }

        foreach (var sample in e.Samples)
        {
            if (sample is { Measurand: ImportRegister, Value: { } value })
            {
                return sample.Unit.ToLowerInvariant() switch
                {
                    "wh" => value,
                    "kwh" => value * 1000m,
                    "mwh" => value * 1_000_000m,
                    _ => null,
                };
            }
        }

        return null;
    }

    public static string IdOf(TelemetryRecorded e) => $"{e.DeviceId}:{e.MeasuredAt.UtcDateTime:yyyy-MM-dd}";

    /// <summary>The day's document from its first reading (Marten applies nothing else for the creating event).</summary>
    public static GridMeterDayView Create(TelemetryRecorded e)
    {
        var view = new GridMeterDayView
        {
            Id = IdOf(e),
            DeviceId = e.DeviceId,
            StationId = e.StationId,
            DayStart = new DateTimeOffset(e.MeasuredAt.UtcDateTime.Date, TimeSpan.Zero),
        };
        Apply(view, e);
        return view;
    }

    public static void Apply(GridMeterDayView view, TelemetryRecorded e)
    {
        if (RegisterWh(e) is not { } wh)
        {
            return;
        }

        var at = e.MeasuredAt;
        if (view.LastAt is not { } lastAt)
        {
            (view.FirstAt, view.FirstWh, view.LastAt, view.LastWh) = (at, wh, at, wh);
            return;
        }

        if (at <= lastAt)
        {
            view.SkippedReadings++;
            return;
        }

        if (wh < view.LastWh)
        {
            view.Resets.Add(new GridMeterReset(at, view.LastWh, wh));
        }
        else
        {
            Spread(view.Slots, lastAt, at, wh - view.LastWh);
        }

        (view.LastAt, view.LastWh) = (at, wh);
    }

    /// <summary>Books <paramref name="wh"/> over [from, to) linearly into 15-minute slots (kept ordered).</summary>
    public static void Spread(List<GridSlot> slots, DateTimeOffset from, DateTimeOffset to, decimal wh)
    {
        if (wh <= 0)
        {
            return;
        }

        var span = to.UtcTicks - from.UtcTicks;
        if (span <= 0 || span > EnergyApportioning.MaxInterpolatedGap.Ticks)
        {
            Add(slots, EnergyPeriods.SlotOf(to), wh);
            return;
        }

        for (var slot = EnergyPeriods.SlotOf(from); ; slot++)
        {
            var start = Math.Max(EnergyPeriods.SlotStartTicks(slot), from.UtcTicks);
            var end = Math.Min(EnergyPeriods.SlotStartTicks(slot + 1), to.UtcTicks);
            if (end > start)
            {
                Add(slots, slot, wh * (end - start) / span);
            }

            if (end >= to.UtcTicks)
            {
                break;
            }
        }
    }

    private static void Add(List<GridSlot> slots, long slot, decimal wh)
    {
        var index = slots.FindLastIndex(s => s.Slot <= slot);
        if (index >= 0 && slots[index].Slot == slot)
        {
            slots[index].Wh += wh;
        }
        else
        {
            slots.Insert(index + 1, new GridSlot { Slot = slot, Wh = wh });
        }
    }
}
