using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Projections;
using ChargeLedger.Projections.Grid;

namespace ChargeLedger.IntegrationTests.Features.Admin;

/// <summary>
/// The host's command line as an operator runs it (a child process of the built host, no host running): the JasperFx
/// verbs work against a schema that only migrations/ created (AutoCreate.None).
/// </summary>
public sealed class CommandLineTests(PostgresServer server)
{
    [Fact]
    public async Task migrations_projections_audit_and_db_assert_run_against_a_migrated_database()
    {
        var connectionString = await server.CreateDatabaseAsync("cli");

        var migrate = await HostCommandAsync(connectionString, "migrations", "apply");
        var list = await HostCommandAsync(connectionString, "projections", "list");
        var rebuild = await HostCommandAsync(connectionString, "projections", "rebuild", "-p", ProjectionGroups.Sessions);
        var audit = await HostCommandAsync(connectionString, "audit", "verify");
        var assert = await HostCommandAsync(connectionString, "db-assert");

        migrate.ExitCode.ShouldBe(0, migrate.Describe());
        migrate.StdOut.ShouldContain("Applied: 0001_initial", Case.Sensitive, migrate.Describe());
        list.ExitCode.ShouldBe(0, list.Describe());
        list.StdOut.ShouldContain(ProjectionGroups.Sessions, Case.Sensitive, list.Describe());
        list.StdOut.ShouldContain(ProjectionGroups.Operations, Case.Sensitive, list.Describe());
        list.StdOut.ShouldContain(GridMeterProjection.ProjectionName, Case.Sensitive, list.Describe());
        list.StdOut.ShouldContain("Async", Case.Sensitive, list.Describe());
        rebuild.ExitCode.ShouldBe(0, rebuild.Describe());
        audit.ExitCode.ShouldBe(0, audit.Describe());
        audit.StdOut.ShouldContain("INTACT: 0 streams", Case.Sensitive, audit.Describe());
        assert.ExitCode.ShouldBe(0, assert.Describe());
        assert.StdOut.ShouldContain("No database differences detected", Case.Sensitive, assert.Describe());
    }

    private static Task<ProcessResult> HostCommandAsync(string connectionString, params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "ChargeLedger.Host.dll"), .. arguments],
            TimeSpan.FromMinutes(2), AppContext.BaseDirectory, new Dictionary<string, string>
            {
                ["ConnectionStrings__Marten"] = connectionString,
                ["Logging__LogLevel__Default"] = "Warning",
            });
}
