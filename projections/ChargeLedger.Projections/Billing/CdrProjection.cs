using System.Globalization;
using ChargeLedger.Shared;
using ChargeLedger.Stations;
using ChargeLedger.Tariffs;
using ChargeLedger.Transactions;
using Marten.Events.Aggregation;

namespace ChargeLedger.Projections.Billing;

/// <summary>
/// Charge detail records from the pricing events alone (every fact the CDR shows is in them), so a rebuild reads only
/// the two pricing event types and makes no database round trip per event. Deterministic: the station-local start date
/// comes from the time zone recorded in TransactionPriced, never from today's station data.
/// </summary>
public partial class CdrProjection : SingleStreamProjection<CdrView, string>
{
    public const string ProjectionName = "Cdrs";

    public CdrProjection()
    {
        Name = ProjectionName;
    }

    public static CdrView Create(TransactionPriced e)
    {
        var date = StationClock.LocalDate(e.StartedAt, StationClock.Zone(e.TimeZone));
        var view = new CdrView
        {
            Id = StreamKeys.Transaction(e.TransactionId),
            TransactionId = e.TransactionId,
            ChargePointId = e.ChargePointId,
            StationId = e.StationId,
            IdTag = e.IdTag,
            TimeZone = e.TimeZone,
            LocalStartDate = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            LocalStartDay = (date.Year * 10_000) + (date.Month * 100) + date.Day,
            StartedAt = e.StartedAt,
            StoppedAt = e.StoppedAt,
            PricedAt = e.PricedAt,
        };
        Effective(view, e.Pricing);
        return view;
    }

    public static void Apply(TransactionRepriced e, CdrView view)
    {
        view.Adjustments.Add(new CdrAdjustment
        {
            RepricedAt = e.RepricedAt,
            RequestedBy = e.RequestedBy,
            Reason = e.Reason,
            PreviousTariffId = e.PreviousTariffId,
            PreviousTariffVersion = e.PreviousTariffVersion,
            TariffId = e.Pricing.TariffId,
            TariffVersion = e.Pricing.TariffVersion,
            AdjustmentExclVat = e.AdjustmentExclVat,
            AdjustmentVat = e.AdjustmentVat,
            AdjustmentInclVat = e.AdjustmentInclVat,
        });
        Effective(view, e.Pricing);
    }

    private static void Effective(CdrView view, PricingResult pricing)
    {
        view.TariffId = pricing.TariffId;
        view.TariffVersion = pricing.TariffVersion;
        view.Currency = pricing.Currency;
        view.UnpricedReason = pricing.UnpricedReason;
        view.EnergyWh = pricing.EnergyWh;
        view.SessionSeconds = pricing.SessionSeconds;
        view.ChargingSeconds = pricing.ChargingSeconds;
        view.ParkingSeconds = pricing.ParkingSeconds;
        view.TotalCostExclVat = pricing.TotalCostExclVat;
        view.TotalVat = pricing.TotalVat;
        view.TotalCostInclVat = pricing.TotalCostInclVat;
        view.ChargingPeriods = [.. pricing.ChargingPeriods];
        view.Lines = [.. pricing.Lines];
    }
}
