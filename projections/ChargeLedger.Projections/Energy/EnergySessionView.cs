using System.Text.Json.Serialization;

namespace ChargeLedger.Projections.Energy;

/// <summary>Energy and peak power of one transaction within one 15-minute UTC slot (<see cref="EnergyPeriods.SlotOf"/>).</summary>
public sealed class EnergySlot
{
    public long Slot { get; set; }
    public long EnergyWh { get; set; }

    /// <summary>Highest average power of a register segment overlapping the slot.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? AveragePeakW { get; set; }

    /// <summary>Highest sampled Power.Active.Import in the slot.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? SampledPeakW { get; set; }

    /// <summary>Sampled power when the charge point reported it in this slot, else the register's average power.</summary>
    [JsonIgnore]
    public long? PeakW => SampledPeakW ?? AveragePeakW;
}

/// <summary>
/// One transaction's delivered energy, apportioned to 15-minute UTC slots (<see cref="EnergyApportioning"/>). Its size
/// is bounded by the session's duration (at most one slot per 15 minutes), not by how many meter values arrive.
/// </summary>
public sealed class EnergySessionView
{
    public string Id { get; set; } = "";
    public string TransactionId { get; set; } = "";
    public string StationId { get; set; } = "";
    public string ChargePointId { get; set; } = "";
    public int ConnectorId { get; set; }
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>End of the time the session was active: its stop, or while it runs its latest applied sample.</summary>
    public DateTimeOffset LastAt { get; set; }

    /// <summary>
    /// The 15-minute UTC slot of <see cref="LastAt"/> (<see cref="EnergyPeriods.SlotOf"/>), stored in its own indexed
    /// column: the report narrows its window by it. It moves at most once per slot while <see cref="LastAt"/> moves with
    /// every sample, so most updates of a running session rewrite no index (HOT, like TransactionView's).
    /// </summary>
    public long LastSlot => EnergyPeriods.SlotOf(LastAt);

    public DateTimeOffset? StoppedAt { get; set; }
    public long MeterStartWh { get; set; }

    /// <summary>The register point energy has been apportioned up to.</summary>
    public DateTimeOffset PointAt { get; set; }

    public long PointWh { get; set; }

    /// <summary>Sum of <see cref="Slots"/>; equals max(0, meterStop - meterStart) when the samples are consistent.</summary>
    public long EnergyWh { get; set; }

    /// <summary>Register readings left out: outside the session, older than the point already reached, or below it.</summary>
    public int SkippedReadings { get; set; }

    /// <summary>Ordered by <see cref="EnergySlot.Slot"/>.</summary>
    public List<EnergySlot> Slots { get; set; } = [];
}
