using Npgsql;

namespace ChargeLedger.IntegrationTests.Infrastructure;

public sealed class PostgresServerTests(PostgresServer server)
{
    [Fact]
    public async Task creates_two_separate_databases_that_each_answer_select_1()
    {
        var first = await server.CreateDatabaseAsync("smoke");
        var second = await server.CreateDatabaseAsync();

        first.ShouldNotBe(second);
        foreach (var connectionString in new[] { first, second })
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = new NpgsqlCommand("select 1, current_database()", connection);
            await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
            (await reader.ReadAsync(TestContext.Current.CancellationToken)).ShouldBeTrue();
            reader.GetInt32(0).ShouldBe(1);
            reader.GetString(1).ShouldBe(new NpgsqlConnectionStringBuilder(connectionString).Database);
        }
    }
}
