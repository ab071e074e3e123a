namespace ChargeLedger.Projections.Grid;

/// <summary>Grid import of one meter within one 15-minute UTC slot (<see cref="Energy.EnergyPeriods.SlotOf"/>), in Wh.</summary>
public sealed class GridSlot
{
    public long Slot { get; set; }
    public decimal Wh { get; set; }
}

/// <summary>A station meter's register that went down (a meter exchange, reset or glitch): flagged, never subtracted.</summary>
public sealed record GridMeterReset(DateTimeOffset At, decimal FromWh, decimal ToWh);

/// <summary>
/// One station meter's import register over one UTC day (issue 4, grid report): the first and last reading of the day and
/// the import between consecutive readings spread over 15-minute slots. Bounded in size (at most 96 slots), however
/// often the meter reports; the stretch between the last reading of one day and the first of the next is apportioned at
/// query time (<see cref="GridReportBuilder"/>), which keeps each day's document independent of its neighbours.
/// </summary>
public sealed class GridMeterDayView
{
    /// <summary>"{deviceId}:{yyyy-MM-dd}" (UTC day of the readings).</summary>
    public string Id { get; set; } = "";

    public string DeviceId { get; set; } = "";
    public string StationId { get; set; } = "";
    public DateTimeOffset DayStart { get; set; }

    public DateTimeOffset? FirstAt { get; set; }
    public decimal FirstWh { get; set; }
    public DateTimeOffset? LastAt { get; set; }
    public decimal LastWh { get; set; }

    /// <summary>Readings not used: older than one already applied (out of order) or at the same instant.</summary>
    public int SkippedReadings { get; set; }

    public List<GridMeterReset> Resets { get; set; } = [];

    /// <summary>Ordered by <see cref="GridSlot.Slot"/>.</summary>
    public List<GridSlot> Slots { get; set; } = [];
}
