using ChargeLedger.Tariffs;

namespace ChargeLedger.Projections.Billing;

/// <summary>
/// The charge detail record of one priced transaction (CONTRACT.md Reads): the effective pricing (the latest of
/// TransactionPriced and TransactionRepriced) and every re-rating as an adjustment. One document per transaction stream.
/// </summary>
public sealed class CdrView
{
    public string Id { get; set; } = "";
    public string TransactionId { get; set; } = "";
    public string ChargePointId { get; set; } = "";
    public string StationId { get; set; } = "";
    public string IdTag { get; set; } = "";
    public string TimeZone { get; set; } = "";

    /// <summary>The station-local date the session started (YYYY-MM-DD): the day the billing report counts it on.</summary>
    public string LocalStartDate { get; set; } = "";

    /// <summary><see cref="LocalStartDate"/> as yyyymmdd, indexed, for the report's date range.</summary>
    public int LocalStartDay { get; set; }

    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset StoppedAt { get; set; }
    public DateTimeOffset PricedAt { get; set; }
    public string? TariffId { get; set; }
    public int? TariffVersion { get; set; }
    public string? Currency { get; set; }
    public string? UnpricedReason { get; set; }
    public long EnergyWh { get; set; }
    public decimal SessionSeconds { get; set; }
    public decimal ChargingSeconds { get; set; }
    public decimal ParkingSeconds { get; set; }
    public decimal TotalCostExclVat { get; set; }
    public decimal TotalVat { get; set; }
    public decimal TotalCostInclVat { get; set; }
    public List<ChargingPeriod> ChargingPeriods { get; set; } = [];
    public List<PriceLine> Lines { get; set; } = [];
    public List<CdrAdjustment> Adjustments { get; set; } = [];
}

/// <summary>One re-rating: a credit (negative) or debit (positive) note against the pricing effective before it.</summary>
public sealed class CdrAdjustment
{
    public DateTimeOffset RepricedAt { get; set; }
    public string RequestedBy { get; set; } = "";
    public string Reason { get; set; } = "";
    public string? PreviousTariffId { get; set; }
    public int? PreviousTariffVersion { get; set; }
    public string? TariffId { get; set; }
    public int? TariffVersion { get; set; }
    public decimal AdjustmentExclVat { get; set; }
    public decimal AdjustmentVat { get; set; }
    public decimal AdjustmentInclVat { get; set; }
}
