using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Marten;
using Npgsql;
using Weasel.Core.Migrations;
using Wolverine.Runtime;

namespace ChargeLedger.Host.Migrations;

public sealed record MigrationScript(string Id, string Sql)
{
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}

/// <summary>
/// The schema lives in migrations/ as numbered SQL generated from the model (STYLE.md); production never lets Marten or
/// Wolverine create objects on their own (AutoCreate.None). Scripts are embedded in the host, applied in order under
/// an advisory lock (several nodes may start at once), recorded with a checksum so an edited script is caught.
/// </summary>
public sealed class MigrationRunner(NpgsqlDataSource dataSource, ILogger<MigrationRunner> logger)
{
    public const string Schema = "chargeledger";
    private const long LockKey = 0x43484C4D49475231; // "CHLMIGR1"

    public static IReadOnlyList<MigrationScript> Embedded { get; } = LoadEmbedded();

    public async Task<IReadOnlyList<string>> ApplyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, $"select pg_advisory_lock({LockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection,
                $"create schema if not exists {Schema}; create table if not exists {Schema}.schema_migrations " +
                "(id text primary key, checksum text not null, applied_at timestamptz not null default now())", cancellationToken);
            var applied = await AppliedAsync(connection, cancellationToken);
            var newlyApplied = new List<string>();
            foreach (var script in Embedded)
            {
                if (applied.TryGetValue(script.Id, out var checksum))
                {
                    if (checksum != script.Checksum)
                    {
                        throw new InvalidOperationException(
                            $"Migration {script.Id} was changed after it was applied; add a new migration instead of editing one.");
                    }

                    continue;
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var command = new NpgsqlCommand(script.Sql, connection, transaction))
                {
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }

                await using (var record = new NpgsqlCommand($"insert into {Schema}.schema_migrations (id, checksum) values ($1, $2)", connection, transaction))
                {
                    record.Parameters.AddWithValue(script.Id);
                    record.Parameters.AddWithValue(script.Checksum);
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                logger.LogInformation("Applied migration {Migration}", script.Id);
                newlyApplied.Add(script.Id);
            }

            return newlyApplied;
        }
        finally
        {
            await ExecuteAsync(connection, $"select pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    /// <summary>Migrations embedded in this build that the database has not applied (empty when the schema is current).</summary>
    public async Task<IReadOnlyList<string>> PendingAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var exists = new NpgsqlCommand($"select to_regclass('{Schema}.schema_migrations') is not null", connection);
        var applied = (bool)(await exists.ExecuteScalarAsync(cancellationToken))!
            ? await AppliedAsync(connection, cancellationToken)
            : [];
        return [.. Embedded.Where(s => !applied.ContainsKey(s.Id)).Select(s => s.Id)];
    }

    /// <summary>
    /// Writes the difference between the database (with every committed migration applied) and the current model as the
    /// next numbered migration; null when there is no difference.
    /// </summary>
    public static async Task<string?> ExportAsync(IServiceProvider services, string directory, string name, CancellationToken cancellationToken)
    {
        var scratch = Path.Combine(Path.GetTempPath(), $"chargeledger-migration-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            var up = new StringBuilder();
            var down = new StringBuilder();
            var index = 0;
            foreach (var database in Databases(services))
            {
                var file = Path.Combine(scratch, $"{index++}.sql");
                await database.WriteMigrationFileAsync(file, cancellationToken);
                if (File.Exists(file))
                {
                    up.Append(await File.ReadAllTextAsync(file, cancellationToken));
                }

                var drop = Path.ChangeExtension(file, ".drop.sql");
                if (File.Exists(drop))
                {
                    down.Insert(0, await File.ReadAllTextAsync(drop, cancellationToken));
                }
            }

            if (!HasStatements(up.ToString()))
            {
                return null;
            }

            var next = Embedded.Count == 0 ? 1 : Embedded.Max(s => int.Parse(s.Id[..4], System.Globalization.CultureInfo.InvariantCulture)) + 1;
            var path = Path.Combine(directory, $"{next:0000}_{name}.sql");
            await File.WriteAllTextAsync(path, up.ToString(), cancellationToken);
            await File.WriteAllTextAsync(Path.ChangeExtension(path, ".drop.sql"), down.ToString(), cancellationToken);
            return path;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The model's databases: Marten's event store and Wolverine's message storage.</summary>
    public static IEnumerable<IDatabase> Databases(IServiceProvider services)
    {
        yield return services.GetRequiredService<IDocumentStore>().Storage.Database;
        if (services.GetRequiredService<IWolverineRuntime>().Storage is IDatabase wolverine)
        {
            yield return wolverine;
        }
    }

    private static bool HasStatements(string sql) =>
        sql.Split('\n').Any(line => line.Trim() is { Length: > 0 } l && !l.StartsWith("--", StringComparison.Ordinal));

    private static async Task<Dictionary<string, string>> AppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand($"select id, checksum from {Schema}.schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied[reader.GetString(0)] = reader.GetString(1);
        }

        return applied;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<MigrationScript> LoadEmbedded()
    {
        var assembly = Assembly.GetExecutingAssembly();
        return [.. assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("migrations/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)
                        && !n.EndsWith(".drop.sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream, Encoding.UTF8);
                return new MigrationScript(Path.GetFileNameWithoutExtension(n["migrations/".Length..]), reader.ReadToEnd());
            })];
    }
}

/// <summary>Applies pending migrations before Marten and Wolverine start (ChargeLedger:MigrateOnStartup, default true).</summary>
public sealed class MigrateOnStartup(MigrationRunner runner, IConfiguration configuration) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (configuration.GetValue("ChargeLedger:MigrateOnStartup", true))
        {
            await runner.ApplyAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
