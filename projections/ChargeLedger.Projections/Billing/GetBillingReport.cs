using System.Globalization;
using System.Text;
using ChargeLedger.Access;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Wolverine.Http;

namespace ChargeLedger.Projections.Billing;

/// <summary>One row per group key and currency (sessions priced at zero for want of a tariff have no currency).</summary>
public sealed record BillingRow(string Key, int Sessions, decimal EnergyKwh, decimal TotalCostExclVat, decimal TotalVat, decimal TotalCostInclVat,
    string? Currency);

public static class GetBillingReportEndpoint
{
    public const string IdTag = "idTag";
    public const string Station = "station";
    public const string Day = "day";
    private const int MaxDays = 366;

    /// <summary>
    /// Sums the effective CDR totals (already rounded per session, so a report adds up to its CDRs to the cent) of every
    /// priced session whose station-local START date lies in [from, to] (CONTRACT.md: station-local dates, both
    /// inclusive; the start, because the tariff is chosen at the start). Keys: idTag (upper case, as OCPP compares
    /// them), station id, or the local start date. JSON by default; <c>Accept: text/csv</c> gives RFC 4180 CSV.
    /// </summary>
    [WolverineGet("/api/reports/billing")]
    [Authorize(Roles = Roles.FinanceOrAdmin)]
    public static async Task<IResult> Get(string? from, string? to, string? groupBy, HttpRequest request, IQuerySession session,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var fromDate = ParseDate(from, "from", errors);
        var toDate = ParseDate(to, "to", errors);
        groupBy ??= Day;
        if (groupBy is not (IdTag or Station or Day))
        {
            errors["groupBy"] = ["Must be idTag, station or day."];
        }

        if (fromDate is { } f && toDate is { } t && (t < f || t.DayNumber - f.DayNumber >= MaxDays))
        {
            errors["to"] = [$"Must be on or after from, and at most {MaxDays} days of it."];
        }

        if (errors.Count > 0)
        {
            return Results.Problem(new Microsoft.AspNetCore.Mvc.ValidationProblemDetails(errors)
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The request is invalid",
            });
        }

        var (first, last) = (DayNumber(fromDate!.Value), DayNumber(toDate!.Value));
        var sessions = await session.Query<CdrView>()
            .Where(x => x.LocalStartDay >= first && x.LocalStartDay <= last)
            .Select(x => new { x.IdTag, x.StationId, x.LocalStartDate, x.Currency, x.EnergyWh, x.TotalCostExclVat, x.TotalVat, x.TotalCostInclVat })
            .ToListAsync(cancellationToken);
        var rows = sessions
            .GroupBy(s => (Key: groupBy switch { IdTag => s.IdTag.ToUpperInvariant(), Station => s.StationId, _ => s.LocalStartDate }, s.Currency))
            .Select(g => new BillingRow(g.Key.Key, g.Count(), g.Sum(s => s.EnergyWh) / 1000m, g.Sum(s => s.TotalCostExclVat), g.Sum(s => s.TotalVat),
                g.Sum(s => s.TotalCostInclVat), g.Key.Currency))
            .OrderBy(r => r.Key, StringComparer.Ordinal)
            .ThenBy(r => r.Currency ?? "\uffff", StringComparer.Ordinal)
            .ToList();

        return WantsCsv(request) ? Results.Text(Csv(rows), "text/csv; charset=utf-8", Encoding.UTF8) : Results.Ok(rows);
    }

    private static DateOnly? ParseDate(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        errors[field] = ["Must be a station-local date, YYYY-MM-DD."];
        return null;
    }

    private static int DayNumber(DateOnly date) => (date.Year * 10_000) + (date.Month * 100) + date.Day;

    private static bool WantsCsv(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase) && a.Quality is not 0);

    /// <summary>
    /// RFC 4180: CRLF line ends, a header line, fields with a comma, quote or line break quoted, quotes doubled. Money with
    /// 2 decimals (every total is a sum of per-session totals rounded to the cent), kWh exact, no currency for sessions
    /// priced at zero for want of a tariff.
    /// </summary>
    public static string Csv(IEnumerable<BillingRow> rows)
    {
        var csv = new StringBuilder("key,sessions,energyKwh,totalCostExclVat,totalVat,totalCostInclVat,currency\r\n");
        foreach (var r in rows)
        {
            csv.Append(Field(r.Key)).Append(',')
                .Append(r.Sessions.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(r.EnergyKwh.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(r.TotalCostExclVat.ToString("0.00", CultureInfo.InvariantCulture)).Append(',')
                .Append(r.TotalVat.ToString("0.00", CultureInfo.InvariantCulture)).Append(',')
                .Append(r.TotalCostInclVat.ToString("0.00", CultureInfo.InvariantCulture)).Append(',')
                .Append(Field(r.Currency ?? "")).Append("\r\n");
        }

        return csv.ToString();

        static string Field(string value) =>
            value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
