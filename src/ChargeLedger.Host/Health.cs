using System.Text.Json;
using ChargeLedger.Host.Migrations;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ChargeLedger.Host;

public static class Health
{
    /// <summary>
    /// /health/live: the process runs. /health/ready: PostgreSQL answers and every migration is applied (CONTRACT.md).
    /// /health: every registered check with its status, description and data; 200 when Healthy or Degraded (a stopped
    /// projection degrades the node but the OCPP write path still works, so it stays in service), 503 when Unhealthy.
    /// </summary>
    public static void MapHealthEndpoints(this WebApplication app)
    {
        app.MapGet("/health/live", () => Results.Ok(new { status = "live" })).AllowAnonymous();
        app.MapGet("/health/ready", async (MigrationRunner migrations, CancellationToken cancellationToken) =>
        {
            var (pending, error) = await DatabaseHealthCheck.ProbeAsync(migrations, cancellationToken);
            return error is not null
                ? Results.Json(new { status = "database unreachable", error }, statusCode: StatusCodes.Status503ServiceUnavailable)
                : pending.Count == 0
                    ? Results.Ok(new { status = "ready" })
                    : Results.Json(new { status = "schema pending", pending }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }).AllowAnonymous();
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteJsonAsync }).AllowAnonymous();
    }

    private static Task WriteJsonAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            entries = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                data = e.Value.Data,
            }, StringComparer.Ordinal),
        }, JsonSerializerOptions.Web, context.RequestAborted);
    }
}

/// <summary>The "database" health entry: Unhealthy while PostgreSQL does not answer or a migration is pending.</summary>
public sealed class DatabaseHealthCheck(MigrationRunner migrations) : IHealthCheck
{
    public const string Name = "database";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var (pending, error) = await ProbeAsync(migrations, cancellationToken);
        return error is not null ? HealthCheckResult.Unhealthy($"PostgreSQL unreachable: {error}")
            : pending.Count > 0 ? HealthCheckResult.Unhealthy($"Migrations pending: {string.Join(", ", pending)}")
            : HealthCheckResult.Healthy("PostgreSQL answers and the schema is current.");
    }

    internal static async Task<(IReadOnlyList<string> Pending, string? Error)> ProbeAsync(MigrationRunner migrations, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            return (await migrations.PendingAsync(timeout.Token), null);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            return ([], ex.Message);
        }
    }
}
