using System.Globalization;
using ChargeLedger.Access;
using ChargeLedger.Projections.Transactions;
using ChargeLedger.Shared;
using ChargeLedger.Tariffs;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Wolverine.Http;

namespace ChargeLedger.Projections.Billing;

/// <summary>An OCPI 2.2.1 CdrDimension, with the index of the tariff element that priced it (null: none applied).</summary>
public sealed record CdrDimension(string Type, decimal Volume, int? TariffElement);

/// <summary>
/// An OCPI 2.2.1 CdrChargingPeriod: ENERGY in kWh, and TIME (charging) or PARKING_TIME (not charging) in hours.
/// FLAT is per session, not a dimension; <see cref="FlatElement"/> says which element's FLAT applied in the period.
/// </summary>
public sealed record CdrChargingPeriod(
    DateTimeOffset StartDateTime,
    DateTimeOffset EndDateTime,
    string? TariffId,
    IReadOnlyList<CdrDimension> Dimensions,
    int? FlatElement);

/// <summary>What one tariff component billed: volume in kWh, hours or sessions; the step size's rounded-up extra beside it.</summary>
public sealed record CdrLine(string Type, int TariffElement, decimal Price, decimal VatPercent, int? StepSize, decimal Volume, decimal StepRoundingVolume);

public sealed record CdrResponse(
    string TransactionId,
    string ChargePointId,
    string StationId,
    string IdTag,
    string? TariffId,
    int? TariffVersion,
    string? Currency,
    string? UnpricedReason,
    DateTimeOffset StartedAt,
    DateTimeOffset StoppedAt,
    decimal TotalEnergyKwh,
    decimal TotalTimeHours,
    decimal TotalParkingTimeHours,
    decimal TotalCostExclVat,
    decimal TotalVat,
    decimal TotalCostInclVat,
    IReadOnlyList<CdrChargingPeriod> ChargingPeriods,
    IReadOnlyList<CdrLine> Lines,
    IReadOnlyList<CdrAdjustment> Adjustments)
{
    /// <summary>
    /// Hours are shown to 6 decimals (under 4 ms); costs were computed from the exact seconds. kWh are exact (the
    /// engine's energies are mWh). Totals and tariff are the effective ones, after every adjustment.
    /// </summary>
    public static CdrResponse From(CdrView v) => new(v.TransactionId, v.ChargePointId, v.StationId, v.IdTag, v.TariffId, v.TariffVersion,
        v.Currency, v.UnpricedReason, v.StartedAt, v.StoppedAt, Kwh(v.EnergyWh), Hours(v.SessionSeconds), Hours(v.ParkingSeconds),
        v.TotalCostExclVat, v.TotalVat, v.TotalCostInclVat,
        [.. v.ChargingPeriods.Select(p => new CdrChargingPeriod(p.StartDateTime, p.EndDateTime, v.TariffId,
            p.Charging
                ? [new CdrDimension(ComponentTypes.Energy, Kwh(p.EnergyWh), p.EnergyElement), new CdrDimension(ComponentTypes.Time, Hours(p.DurationSeconds), p.TimeElement)]
                : [new CdrDimension(ComponentTypes.Energy, Kwh(p.EnergyWh), p.EnergyElement), new CdrDimension(ComponentTypes.ParkingTime, Hours(p.DurationSeconds), p.ParkingTimeElement)],
            p.FlatElement))],
        [.. v.Lines.Select(l => new CdrLine(l.Type, l.ElementIndex, l.Price, l.VatPercent, l.StepSize, Volume(l.Type, l.Quantity), Volume(l.Type, l.StepRounding)))],
        v.Adjustments);

    private static decimal Kwh(decimal wh) => wh / 1000m;

    private static decimal Hours(decimal seconds) => Math.Round(seconds / 3600m, 6, MidpointRounding.AwayFromZero);

    private static decimal Volume(string type, decimal quantity) => type switch
    {
        ComponentTypes.Energy => Kwh(quantity),
        ComponentTypes.Flat => quantity,
        _ => Hours(quantity),
    };
}

public static class GetCdrEndpoint
{
    /// <summary>The id is the transaction id ("CP-1:42") or the bare OCPP transactionId; 404 until the transaction is priced.</summary>
    [WolverineGet("/api/transactions/{id}/cdr")]
    [Authorize(Roles = Roles.FinanceOrAdmin)]
    public static async Task<IResult> Get(string id, IQuerySession session, CancellationToken cancellationToken)
    {
        var streamKey = int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var ocppId)
            ? (await session.Query<TransactionView>().FirstOrDefaultAsync(x => x.OcppTransactionId == ocppId, cancellationToken))?.Id
            : StreamKeys.Transaction(id);
        return streamKey is not null && await session.LoadAsync<CdrView>(streamKey, cancellationToken) is { } view
            ? Results.Ok(CdrResponse.From(view))
            : Validation.NotFound($"No charge detail record for transaction {id}: unknown, still running, or not priced yet.");
    }
}
