namespace ChargeLedger.Host.Dashboard;

/// <summary>
/// The operators' dashboard (DESIGN.md, CONTRACT.md "Starting it"): one static page, served open like the health
/// endpoints; everything it shows comes from the API with the operator's own key, which stays in the browser tab.
/// </summary>
public static class DashboardEndpoints
{
    private static readonly Lazy<byte[]> Page = new(() =>
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("ChargeLedger.Host.Dashboard.index.html")
            ?? throw new InvalidOperationException("The dashboard page is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static void MapDashboard(this IEndpointRouteBuilder endpoints)
    {
        // Only /dashboard: "/" stays unmapped, because Kestrel folds dot segments ("/ocpp/..", "/ocpp/%2E%2E") into "/"
        // and such an upgrade attempt must be refused (404), not redirected (RELIABILITY A4).
        endpoints.MapGet("/dashboard", () => Results.Bytes(Page.Value, "text/html; charset=utf-8")).ExcludeFromDescription();
    }
}
