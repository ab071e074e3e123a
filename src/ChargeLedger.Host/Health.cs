using ChargeLedger.Host.Migrations;

namespace ChargeLedger.Host;

public static class Health
{
    /// <summary>/health/live: the process runs. /health/ready: PostgreSQL answers and every migration is applied (CONTRACT.md).</summary>
    public static void MapHealthEndpoints(this WebApplication app)
    {
        app.MapGet("/health/live", () => Results.Ok(new { status = "live" })).AllowAnonymous();
        app.MapGet("/health/ready", async (MigrationRunner migrations, CancellationToken cancellationToken) =>
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                var pending = await migrations.PendingAsync(timeout.Token);
                return pending.Count == 0
                    ? Results.Ok(new { status = "ready" })
                    : Results.Json(new { status = "schema pending", pending }, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or OperationCanceledException or System.Net.Sockets.SocketException)
            {
                return Results.Json(new { status = "database unreachable", error = ex.Message }, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        }).AllowAnonymous();
    }
}
