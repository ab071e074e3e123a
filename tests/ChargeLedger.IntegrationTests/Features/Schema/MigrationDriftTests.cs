using System.Text.Json;
using ChargeLedger.Host.Migrations;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ChargeLedger.IntegrationTests.Features.Schema;

[CollectionDefinition]
public sealed class MigrationDriftCollection : ICollectionFixture<LedgerHost>;

/// <summary>
/// The committed migrations are the schema (STYLE.md: production runs AutoCreate.None), so the model and
/// migrations/ must never drift; and the hash chain must expose a superuser's edit of a stored event (RELIABILITY F8).
/// </summary>
[Collection(typeof(MigrationDriftCollection))]
public sealed class MigrationDriftTests(PostgresServer server, LedgerHost host)
{
    [Fact]
    public async Task a_fresh_database_migrated_by_the_host_matches_the_model_exactly()
    {
        await using var fresh = new LedgerHost(server);
        await fresh.InitializeAsync();

        (await fresh.Services.GetRequiredService<MigrationRunner>().PendingAsync(TestContext.Current.CancellationToken)).ShouldBeEmpty();
        var databases = MigrationRunner.Databases(fresh.Services).ToList();
        databases.Count.ShouldBe(2);
        foreach (var database in databases)
        {
            await database.AssertDatabaseMatchesConfigurationAsync(TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// A running session's TransactionView and EnergySessionView are rewritten on every daemon page. PostgreSQL can make
    /// that update HOT (no index writes) only while no index reads the document and each page keeps room for the new
    /// version: migrations 0011/0013 (duplicated columns) and 0012/0014 (fillfactor). Neither is something the drift
    /// check above would notice losing.
    /// </summary>
    [Theory]
    [InlineData("mt_doc_transactionview", new[] { "charge_point_id", "id", "ocpp_transaction_id", "started_at" })]
    [InlineData("mt_doc_energysessionview", new[] { "id", "last_slot", "station_id" })]
    public async Task running_session_views_can_be_updated_hot_no_index_reads_the_document_and_pages_keep_room(string table, string[] expectedIndexedColumns)
    {
        var expressionIndexes = await server.ScalarAsSuperuserAsync<long>(host,
            "select count(*) from pg_index i join pg_class c on c.oid = i.indrelid " +
            $"where c.oid = 'chargeledger.{table}'::regclass and i.indexprs is not null");
        var indexedColumns = await server.ScalarAsSuperuserAsync<string[]>(host,
            "select array_agg(distinct a.attname::text order by a.attname::text) from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey) " +
            $"where i.indrelid = 'chargeledger.{table}'::regclass");
        var options = await server.ScalarAsSuperuserAsync<string[]>(host,
            $"select reloptions from pg_class where oid = 'chargeledger.{table}'::regclass");

        expressionIndexes.ShouldBe(0L);
        indexedColumns.ShouldBe(expectedIndexedColumns);
        options.ShouldContain("fillfactor=70");
    }

    /// <summary>The negative control: a model change without a new migration must make the check above fail.</summary>
    [Fact]
    public async Task a_model_change_without_a_migration_is_detected_as_drift()
    {
        await using var drifted = new LedgerHost(server)
        {
            Configure = builder => builder.Services.ConfigureMarten(o => o.Schema.For<UnmigratedDocument>()),
        };
        await drifted.InitializeAsync();

        var eventStore = MigrationRunner.Databases(drifted.Services).First();
        var drift = await Should.ThrowAsync<Exception>(() => eventStore.AssertDatabaseMatchesConfigurationAsync(TestContext.Current.CancellationToken));
        drift.ToString().ShouldContain("mt_doc_unmigrateddocument", Case.Insensitive, drift.ToString());
    }

    [Fact]
    public async Task editing_a_stored_transaction_event_breaks_the_hash_chain_at_that_version()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        var started = await cp.StartTransactionAsync(await host.IssuedIdTagAsync(), meterStart: 1000);
        await using (cp)
        {
            await cp.MeterValuesAsync(started.TransactionId, 1500, started.StartedAt.AddMinutes(5));
            await cp.StopTransactionAsync(started.TransactionId, 2000, started.StartedAt.AddMinutes(10));
            await host.PricedStreamAsync(StreamKeys.TransactionId(credentials.Id, started.TransactionId));
            await cp.MeterValuesAsync(started.TransactionId, 2000, started.StartedAt.AddMinutes(9));
        }

        var streamKey = StreamKeys.Transaction(StreamKeys.TransactionId(credentials.Id, started.TransactionId));
        var before = await LinksAsync(streamKey);
        before.Select(l => l.EventTypeName).ShouldBe(
            ["transaction_started", "meter_values_recorded", "transaction_stopped", "transaction_priced", "meter_values_recorded"]);
        HashChain.FirstBrokenLink(streamKey, before).ShouldBeNull();

        await ExecuteAsSuperuserAsync(
            "update chargeledger.mt_events set data = jsonb_set(data, '{meterStopWh}', '1') where stream_id = $1 and type = 'transaction_stopped'",
            streamKey);

        var after = await LinksAsync(streamKey);
        after.Single(l => l.EventTypeName == "transaction_stopped").Data.GetProperty("meterStopWh").GetInt64().ShouldBe(1);
        HashChain.FirstBrokenLink(streamKey, after).ShouldBe(3);
    }

    [Fact]
    public async Task deleting_or_reordering_stored_transaction_events_breaks_the_hash_chain()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        var started = await cp.StartTransactionAsync(await host.IssuedIdTagAsync(), meterStart: 1000);
        await cp.MeterValuesAsync(started.TransactionId, 1500, started.StartedAt.AddMinutes(5));
        await cp.StopTransactionAsync(started.TransactionId, 2000, started.StartedAt.AddMinutes(10));
        await host.PricedStreamAsync(StreamKeys.TransactionId(credentials.Id, started.TransactionId));
        var streamKey = StreamKeys.Transaction(StreamKeys.TransactionId(credentials.Id, started.TransactionId));
        var links = await LinksAsync(streamKey);
        HashChain.FirstBrokenLink(streamKey, links).ShouldBeNull();

        HashChain.FirstBrokenLink(streamKey, [links[0], links[2]]).ShouldBe(3);
        HashChain.FirstBrokenLink(streamKey, [links[0], links[2], links[1]]).ShouldBe(3);

        await ExecuteAsSuperuserAsync("delete from chargeledger.mt_events where stream_id = $1 and version = 2", streamKey);
        HashChain.FirstBrokenLink(streamKey, await LinksAsync(streamKey)).ShouldBe(3);
    }

    private async Task<List<HashChain.Link>> LinksAsync(string streamKey)
    {
        await using var connection = new NpgsqlConnection(host.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(
            "select version, type, data, headers from chargeledger.mt_events where stream_id = $1 order by version", connection);
        command.Parameters.AddWithValue(streamKey);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var links = new List<HashChain.Link>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            var data = JsonDocument.Parse(reader.GetString(2)).RootElement.Clone();
            var headers = await reader.IsDBNullAsync(3, TestContext.Current.CancellationToken) ? default : JsonDocument.Parse(reader.GetString(3)).RootElement.Clone();
            links.Add(new HashChain.Link(reader.GetInt64(0), reader.GetString(1), data,
                Header(headers, HashChain.HashHeader), Header(headers, HashChain.PreviousHashHeader)));
        }

        return links;

        static string? Header(JsonElement headers, string name) =>
            headers.ValueKind == JsonValueKind.Object && headers.TryGetProperty(name, out var value) ? value.GetString() : null;
    }

    private async Task ExecuteAsSuperuserAsync(string sql, string streamKey)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(server.AdminConnectionString)
        {
            Database = new NpgsqlConnectionStringBuilder(host.ConnectionString).Database,
        }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
#pragma warning disable CA2100 // fixed statements from this class; the stream key is a parameter
        await using var command = new NpgsqlCommand(sql, connection);
#pragma warning restore CA2100
        command.Parameters.AddWithValue(streamKey);
        (await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken)).ShouldBe(1);
    }
}

/// <summary>A document type that no committed migration creates.</summary>
public sealed class UnmigratedDocument
{
    public string Id { get; set; } = "";
}
