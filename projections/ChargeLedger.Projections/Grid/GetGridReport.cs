using ChargeLedger.Access;
using ChargeLedger.Projections.Energy;
using ChargeLedger.Shared;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Wolverine.Http;

namespace ChargeLedger.Projections.Grid;

public static class GetGridReportEndpoint
{
    private static readonly EnergyReportQuery.Validator QueryValidator = new();

    /// <summary>
    /// GET /api/reports/grid (CONTRACT.md MQTT): per station and station-local hour or day, the grid import from its meters
    /// beside the energy its charge points delivered, and the loss ratio (import - delivered) / import, null when import
    /// is 0. from/to are station-local dates, both inclusive, with the energy report's limits.
    /// </summary>
    [WolverineGet("/api/reports/grid")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static async Task<IResult> Get(IQuerySession session, string? from, string? to, string? groupBy, string? stationId,
        CancellationToken cancellationToken)
    {
        var query = new EnergyReportQuery(from, to, groupBy, "station", stationId, null);
        var validation = await QueryValidator.ValidateAsync(query, cancellationToken);
        if (!validation.IsValid)
        {
            return Results.Problem(Validation.Problem(validation));
        }

        var (lower, upper) = EnergyPeriods.UtcWindowForAnyZone(query.FromDate, query.ToDate);
        // A day before the window too: its last reading starts the stretch into the window's first day (longer gaps
        // than the interpolation limit are booked at the later reading anyway).
        var earliest = lower - EnergyApportioning.MaxInterpolatedGap - TimeSpan.FromDays(1);
        var days = session.Query<GridMeterDayView>().Where(d => d.DayStart >= earliest && d.DayStart < upper);
        if (stationId is not null)
        {
            days = days.Where(d => d.StationId == stationId);
        }

        var delivered = await GetEnergyReportEndpoint.BuildAsync(session, query, cancellationToken);
        var stationIds = (await days.Select(d => d.StationId).Distinct().ToListAsync(cancellationToken))
            .Union(delivered.Select(r => r.StationId), StringComparer.Ordinal).ToList();
        var builder = new GridReportBuilder(query.FromDate, query.ToDate, query.Grouping,
            await GetEnergyReportEndpoint.StationZonesAsync(session, stationIds, cancellationToken));
        await foreach (var day in QueryableExtensions.ToAsyncEnumerable(days.OrderBy(d => d.DeviceId).ThenBy(d => d.DayStart), cancellationToken))
        {
            builder.Add(day);
        }

        foreach (var row in delivered)
        {
            builder.AddDelivered(row);
        }

        return Results.Ok(builder.Complete());
    }
}
