using Npgsql;

namespace ChargeLedger.IntegrationTests.Infrastructure;

/// <summary>Crashing the shared server must not overlap other tests.</summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class PostgresCrashCollection;

[Collection(typeof(PostgresCrashCollection))]
public sealed class PostgresServerCrashTests(PostgresServer server)
{
    [Fact]
    public async Task committed_rows_survive_an_immediate_stop_and_restart()
    {
        Assert.SkipUnless(server.CanCrash, $"crash/restart needs the local cluster; backend is {server.Backend}");
        var ct = TestContext.Current.CancellationToken;
        var connectionString = await server.CreateDatabaseAsync("crash");
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand(
                "create table acked (id int primary key); insert into acked values (1), (2), (3);", connection);
            await command.ExecuteNonQueryAsync(ct);
        }

        await server.CrashAsync();
        await server.RestartAsync();

        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand("select count(*) from acked", connection);
            (await command.ExecuteScalarAsync(ct)).ShouldBe(3L);
        }
    }
}
