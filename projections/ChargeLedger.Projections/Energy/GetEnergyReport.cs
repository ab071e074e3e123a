using ChargeLedger.Access;
using ChargeLedger.Shared;
using ChargeLedger.Stations;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using NodaTime;
using NodaTime.Text;
using Wolverine.Http;

namespace ChargeLedger.Projections.Energy;

/// <summary>
/// GET /api/reports/energy (CONTRACT.md). from/to are station-local dates, both inclusive; groupBy hour|day (default
/// day); level connector|chargepoint|station (default chargepoint); stationId and chargePointId filter.
/// </summary>
public sealed record EnergyReportQuery(string? From, string? To, string? GroupBy, string? Level, string? StationId, string? ChargePointId)
{
    public const int MaxDays = 366;
    public const int MaxHourlyDays = 31;

    public LocalDate FromDate => ParseDate(From) ?? throw new InvalidOperationException("from is not a date");
    public LocalDate ToDate => ParseDate(To) ?? throw new InvalidOperationException("to is not a date");

    public EnergyGrouping Grouping => GroupBy?.ToLowerInvariant() == "hour" ? EnergyGrouping.Hour : EnergyGrouping.Day;

    public EnergyLevel ReportLevel => Level?.ToLowerInvariant() switch
    {
        "connector" => EnergyLevel.Connector,
        "station" => EnergyLevel.Station,
        _ => EnergyLevel.ChargePoint,
    };

    /// <summary>An ISO date from 1970 on (before it, zones had local-mean-time offsets that are not whole quarter hours).</summary>
    public static LocalDate? ParseDate(string? value) =>
        value is not null && LocalDatePattern.Iso.Parse(value) is { Success: true } result && result.Value.Year is >= 1970 and <= 9000 ? result.Value : null;

    public sealed class Validator : AbstractValidator<EnergyReportQuery>
    {
        public Validator()
        {
            RuleFor(x => x.From).Must(v => ParseDate(v) is not null).WithMessage("Must be a station-local date YYYY-MM-DD from 1970 on.");
            RuleFor(x => x.To).Must(v => ParseDate(v) is not null).WithMessage("Must be a station-local date YYYY-MM-DD from 1970 on.");
            RuleFor(x => x.To)
                .Must((q, _) => q.FromDate <= q.ToDate).WithMessage("Must not be before from.")
                .Must((q, _) => Period.DaysBetween(q.FromDate, q.ToDate) < (q.Grouping == EnergyGrouping.Hour ? MaxHourlyDays : MaxDays))
                .WithMessage(q => $"The range may span at most {(q.Grouping == EnergyGrouping.Hour ? MaxHourlyDays : MaxDays)} days for groupBy={q.Grouping.ToString().ToLowerInvariant()}.")
                .When(q => ParseDate(q.From) is not null && ParseDate(q.To) is not null);
            RuleFor(x => x.GroupBy).Must(v => v is null || v.ToLowerInvariant() is "hour" or "day").WithMessage("Must be hour or day.");
            RuleFor(x => x.Level).Must(v => v is null || v.ToLowerInvariant() is "connector" or "chargepoint" or "station")
                .WithMessage("Must be connector, chargepoint or station.");
            RuleFor(x => x.StationId).Must(StreamKeys.IsValidId).When(x => x.StationId is not null).WithMessage("Not a station id.");
            RuleFor(x => x.ChargePointId).Must(StreamKeys.IsValidId).When(x => x.ChargePointId is not null).WithMessage("Not a charge point id.");
        }
    }
}

public static class GetEnergyReportEndpoint
{
    private static readonly EnergyReportQuery.Validator QueryValidator = new();

    /// <summary>
    /// Rows per charge point (or connector, or station) and station-local hour or day, from the Energy projection
    /// (eventually consistent). Sessions are streamed in group order, so memory does not grow with their number.
    /// </summary>
    [WolverineGet("/api/reports/energy")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static async Task<IResult> Get(IQuerySession session, string? from, string? to, string? groupBy, string? level, string? stationId,
        string? chargePointId, CancellationToken cancellationToken)
    {
        var query = new EnergyReportQuery(from, to, groupBy, level, stationId, chargePointId);
        var validation = await QueryValidator.ValidateAsync(query, cancellationToken);
        if (!validation.IsValid)
        {
            return Results.Problem(Validation.Problem(validation));
        }

        return Results.Ok(await BuildAsync(session, query, cancellationToken));
    }

    /// <summary>The report's rows for a valid query (also the grid report's delivered energy, at station level).</summary>
    internal static async Task<IReadOnlyList<EnergyReportRow>> BuildAsync(IQuerySession session, EnergyReportQuery query, CancellationToken cancellationToken)
    {
        var (stationId, chargePointId) = (query.StationId, query.ChargePointId);
        var (lower, upper) = EnergyPeriods.UtcWindowForAnyZone(query.FromDate, query.ToDate);
        // LastSlot (indexed) narrows the window to whole slots, LastAt to the instant.
        var lowerSlot = EnergyPeriods.SlotOf(lower);
        var sessions = session.Query<EnergySessionView>().Where(x => x.StartedAt < upper && x.LastSlot >= lowerSlot && x.LastAt >= lower);
        if (stationId is not null)
        {
            sessions = sessions.Where(x => x.StationId == stationId);
        }

        if (chargePointId is not null)
        {
            sessions = sessions.Where(x => x.ChargePointId == chargePointId);
        }

        var stationIds = await sessions.Select(x => x.StationId).Distinct().ToListAsync(cancellationToken);
        var builder = new EnergyReportBuilder(query.FromDate, query.ToDate, query.Grouping, query.ReportLevel,
            await StationZonesAsync(session, stationIds, cancellationToken));
        var ordered = sessions.OrderBy(x => x.StationId).ThenBy(x => x.ChargePointId).ThenBy(x => x.ConnectorId);
        await foreach (var s in QueryableExtensions.ToAsyncEnumerable(ordered, cancellationToken))
        {
            builder.Add(s);
        }

        return builder.Complete();
    }

    /// <summary>Each station's IANA zone from its registration, read in one batched round trip.</summary>
    internal static async Task<Dictionary<string, DateTimeZone>> StationZonesAsync(IQuerySession session, IReadOnlyList<string> stationIds,
        CancellationToken cancellationToken)
    {
        var zones = new Dictionary<string, DateTimeZone>(StringComparer.Ordinal);
        if (stationIds.Count == 0)
        {
            return zones;
        }

        var batch = session.CreateBatchQuery();
        var streams = stationIds.Select(id => (Id: id, Events: batch.Events.FetchStream(StreamKeys.Station(id), version: 1))).ToList();
        await batch.Execute(cancellationToken);
        foreach (var (id, events) in streams)
        {
            if ((await events).Select(e => e.Data).OfType<StationRegistered>().FirstOrDefault() is { } registered && StationClock.IsKnownZone(registered.TimeZone))
            {
                zones[id] = StationClock.Zone(registered.TimeZone);
            }
        }

        return zones;
    }
}
