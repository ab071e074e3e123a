using Npgsql;

namespace ChargeLedger.IntegrationTests.Infrastructure;

/// <summary>Raw SQL against a host's database, as the superuser: how tests tamper with stored events (RELIABILITY F8).</summary>
public static class Sql
{
    public static async Task<int> ExecuteAsSuperuserAsync(this PostgresServer server, LedgerHost host, string sql, params object[] parameters)
    {
        await using var connection = await OpenAsSuperuserAsync(server, host);
#pragma warning disable CA2100 // fixed statements from the tests; values are parameters
        await using var command = new NpgsqlCommand(sql, connection);
#pragma warning restore CA2100
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        return await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    public static async Task<T> ScalarAsSuperuserAsync<T>(this PostgresServer server, LedgerHost host, string sql, params object[] parameters)
    {
        await using var connection = await OpenAsSuperuserAsync(server, host);
#pragma warning disable CA2100 // fixed statements from the tests; values are parameters
        await using var command = new NpgsqlCommand(sql, connection);
#pragma warning restore CA2100
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    private static async Task<NpgsqlConnection> OpenAsSuperuserAsync(PostgresServer server, LedgerHost host)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(server.AdminConnectionString)
        {
            Database = new NpgsqlConnectionStringBuilder(host.ConnectionString).Database,
        }.ConnectionString;
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        return connection;
    }
}
