using System.Globalization;
using System.Text;
using ChargeLedger.IntegrationTests.Infrastructure;
using Npgsql;
using Testcontainers.PostgreSql;

[assembly: AssemblyFixture(typeof(PostgresServer))]

namespace ChargeLedger.IntegrationTests.Infrastructure;

/// <summary>
/// The one PostgreSQL server of a test run. Chosen in this order: <c>CHARGELEDGER_TEST_CONNECTION</c>, then
/// Testcontainers (postgres:15) when a Docker engine answers, then a throwaway local cluster from the
/// distribution's binaries (RELIABILITY.md §6.1). Test classes get a fresh database from
/// <see cref="CreateDatabaseAsync"/> and never share one.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string ConnectionVariable = "CHARGELEDGER_TEST_CONNECTION";
    private const string Image = "postgres:15";
    private static readonly TimeSpan DockerProbeTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ContainerStartTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan AdminCommandTimeout = TimeSpan.FromSeconds(60);

    // CREATE DATABASE copies template1 and fails if another CREATE DATABASE holds it, so creations are serialised.
    private readonly SemaphoreSlim _createGate = new(1, 1);
    private readonly List<string> _createdDatabases = [];
    private LocalPostgresCluster? _cluster;
    private PostgreSqlContainer? _container;
    private string? _adminConnectionString;

    /// <summary>Superuser (or CREATEDB) connection string to the server's maintenance database.</summary>
    public string AdminConnectionString =>
        _adminConnectionString ?? throw new InvalidOperationException("PostgresServer has not been initialised.");

    /// <summary>Which backend runs, e.g. <c>local cluster (/usr/lib/postgresql/15/bin, port 45123)</c>.</summary>
    public string Backend { get; private set; } = "not started";

    /// <summary>True when <see cref="CrashAsync"/> and <see cref="RestartAsync"/> are available.</summary>
    public bool CanCrash => _cluster is not null;

    public async ValueTask InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable(ConnectionVariable) is { Length: > 0 } explicitConnection)
        {
            _adminConnectionString = explicitConnection;
            var builder = new NpgsqlConnectionStringBuilder(explicitConnection);
            Backend = string.Create(
                CultureInfo.InvariantCulture,
                $"{ConnectionVariable} (Host={builder.Host}, Port={builder.Port}, Username={builder.Username})");
        }
        else if (await DockerProbe.IsEngineReachableAsync(DockerProbeTimeout))
        {
            // Testcontainers turns durability off by default; fault tests need the same settings as the local cluster.
            _container = new PostgreSqlBuilder(Image)
                .WithCommand("-c", "fsync=on", "-c", "full_page_writes=on", "-c", "synchronous_commit=on",
                    "-c", "max_connections=500")
                .Build();
            using var cts = new CancellationTokenSource(ContainerStartTimeout);
            await _container.StartAsync(cts.Token);
            _adminConnectionString = _container.GetConnectionString();
            Backend = string.Create(
                CultureInfo.InvariantCulture,
                $"Testcontainers ({Image}, port {_container.GetMappedPublicPort(PostgreSqlBuilder.PostgreSqlPort)})");
        }
        else
        {
            _cluster = await LocalPostgresCluster.StartAsync();
            _adminConnectionString = _cluster.AdminConnectionString;
            Backend = _cluster.Description;
        }

        Announce($"[ChargeLedger tests] PostgreSQL backend: {Backend}");
        await VerifyReachableAsync();
    }

    /// <summary>Creates an empty, uniquely named database and returns a connection string for it.</summary>
    public async Task<string> CreateDatabaseAsync(string? prefix = null)
    {
        var name = NewDatabaseName(prefix);
        using var cts = new CancellationTokenSource(AdminCommandTimeout);
        await _createGate.WaitAsync(cts.Token);
        try
        {
            await ExecuteAdminAsync($"CREATE DATABASE \"{name}\"", cts.Token);
            _createdDatabases.Add(name);
        }
        finally
        {
            _createGate.Release();
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>
    /// <c>pg_ctl -m immediate stop</c>: no checkpoint, so the next start replays WAL like after a power cut.
    /// The server is shared by the whole run, so tests that crash it belong in a collection with
    /// <c>DisableParallelization = true</c>.
    /// </summary>
    public async Task CrashAsync()
    {
        await RequireCluster().CrashAsync();
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Starts the crashed local cluster again on the same port and data folder.</summary>
    public Task RestartAsync() => RequireCluster().RestartAsync();

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
        else if (_container is not null)
        {
            await _container.DisposeAsync();
        }
        else if (_adminConnectionString is not null)
        {
            await DropCreatedDatabasesAsync();
        }

        _createGate.Dispose();
    }

    private LocalPostgresCluster RequireCluster() =>
        _cluster ?? throw new NotSupportedException(
            $"Crash/restart needs the local-cluster backend; this run uses {Backend}.");

    private async Task VerifyReachableAsync()
    {
        using var cts = new CancellationTokenSource(AdminCommandTimeout);
        try
        {
            await ExecuteAdminAsync("select 1", cts.Token);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException)
        {
            throw new InvalidOperationException($"PostgreSQL backend {Backend} is not answering: {e.Message}", e);
        }
    }

    private async Task ExecuteAdminAsync(string sql, CancellationToken cancellationToken)
    {
        // An admin statement holds no pooled connection open, so DROP ... WITH (FORCE) at the end meets no one.
        var builder = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // Identifiers come from NewDatabaseName, which only emits [a-z0-9_].
        command.CommandText = sql;
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task DropCreatedDatabasesAsync()
    {
        using var cts = new CancellationTokenSource(AdminCommandTimeout);
        foreach (var name in _createdDatabases)
        {
            try
            {
                await ExecuteAdminAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", cts.Token);
            }
            catch (Exception e) when (e is NpgsqlException or OperationCanceledException)
            {
                await Console.Error.WriteLineAsync($"[ChargeLedger tests] could not drop database {name}: {e.Message}");
            }
        }
    }

    private static string NewDatabaseName(string? prefix)
    {
        var cleaned = new StringBuilder();
        foreach (var c in (prefix ?? "test").ToLowerInvariant())
        {
            cleaned.Append(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_' ? c : '_');
        }

        // PostgreSQL identifiers stop at 63 bytes; keep room for "_" + 12 random hex digits.
        var head = cleaned.Length == 0 ? "test" : cleaned.ToString(0, Math.Min(cleaned.Length, 40));
        return $"cl_{head}_{Guid.NewGuid().ToString("N")[..12]}";
    }

    private static void Announce(string line)
    {
        // Console.Error reaches the `dotnet test` console; the diagnostic message reaches IDE runners and the
        // xUnit console runner (xunit.runner.json: diagnosticMessages).
        Console.Error.WriteLine(line);
        TestContext.Current.SendDiagnosticMessage(line);
    }
}
