using ChargeLedger.Projections.Energy;
using NodaTime;

namespace ChargeLedger.Projections.Grid;

/// <summary>
/// One row of the grid report (CONTRACT.md: stationId, period, gridImportWh, deliveredWh, lossRatio), plus the period
/// in UTC and meterResets: how many times a station meter's register went down in the period (flagged, not subtracted).
/// </summary>
public sealed record GridReportRow(
    string StationId,
    string Period,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    long GridImportWh,
    long DeliveredWh,
    decimal? LossRatio,
    int MeterResets);

/// <summary>
/// Folds meter-day documents (ordered by device, then day) and the charge points' delivered energy (energy report rows
/// at station level) into rows per station-local hour or day. Periods with neither import, delivery nor a reset are left out.
/// </summary>
public sealed class GridReportBuilder(LocalDate from, LocalDate to, EnergyGrouping grouping, IReadOnlyDictionary<string, DateTimeZone> zones)
{
    private readonly Dictionary<string, Station> _stations = new(StringComparer.Ordinal);
    private GridMeterDayView? _previous;

    public void Add(GridMeterDayView day)
    {
        if (StationOf(day.StationId) is not { } station)
        {
            return;
        }

        foreach (var slot in day.Slots)
        {
            station.AddImport(EnergyPeriods.SlotStart(slot.Slot), slot.Wh);
        }

        foreach (var reset in day.Resets)
        {
            station.AddReset(reset.At);
        }

        // The stretch from the previous day's last reading to this day's first (documents are per UTC day).
        if (_previous is { LastAt: { } lastAt } previous && previous.DeviceId == day.DeviceId && day.FirstAt is { } firstAt)
        {
            if (day.FirstWh < previous.LastWh)
            {
                station.AddReset(firstAt);
            }
            else
            {
                var slots = new List<GridSlot>();
                GridApportioning.Spread(slots, lastAt, firstAt, day.FirstWh - previous.LastWh);
                foreach (var slot in slots)
                {
                    station.AddImport(EnergyPeriods.SlotStart(slot.Slot), slot.Wh);
                }
            }
        }

        _previous = day;
    }

    public void AddDelivered(EnergyReportRow row)
    {
        if (row.ChargePointId is null && StationOf(row.StationId) is { } station)
        {
            station.AddDelivered(row.PeriodStart, row.EnergyWh);
        }
    }

    public IReadOnlyList<GridReportRow> Complete()
    {
        var rows = new List<GridReportRow>();
        foreach (var (stationId, station) in _stations.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            for (var i = 0; i < station.Periods.Count; i++)
            {
                var import = Math.Round(station.Import[i], MidpointRounding.AwayFromZero);
                var delivered = station.Delivered[i];
                if (import == 0 && delivered == 0 && station.Resets[i] == 0)
                {
                    continue;
                }

                var period = station.Periods[i];
                rows.Add(new GridReportRow(stationId, period.Label, period.Start, period.End, (long)import, delivered,
                    import == 0 ? null : Math.Round((import - delivered) / import, 4, MidpointRounding.AwayFromZero), station.Resets[i]));
            }
        }

        return rows;
    }

    private Station? StationOf(string stationId)
    {
        if (_stations.TryGetValue(stationId, out var station))
        {
            return station;
        }

        if (!zones.TryGetValue(stationId, out var zone))
        {
            return null;
        }

        return _stations[stationId] = new Station(EnergyPeriods.For(zone, from, to, grouping));
    }

    private sealed class Station(IReadOnlyList<EnergyPeriod> periods)
    {
        public IReadOnlyList<EnergyPeriod> Periods { get; } = periods;
        public decimal[] Import { get; } = new decimal[periods.Count];
        public long[] Delivered { get; } = new long[periods.Count];
        public int[] Resets { get; } = new int[periods.Count];

        public void AddImport(DateTimeOffset at, decimal wh)
        {
            if (EnergyPeriods.IndexOf(Periods, at) is var i and >= 0)
            {
                Import[i] += wh;
            }
        }

        public void AddReset(DateTimeOffset at)
        {
            if (EnergyPeriods.IndexOf(Periods, at) is var i and >= 0)
            {
                Resets[i]++;
            }
        }

        public void AddDelivered(DateTimeOffset periodStart, long wh)
        {
            if (EnergyPeriods.IndexOf(Periods, periodStart) is var i and >= 0)
            {
                Delivered[i] += wh;
            }
        }
    }
}
