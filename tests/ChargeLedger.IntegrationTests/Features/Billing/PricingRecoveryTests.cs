using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using ChargeLedger.Transactions;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace ChargeLedger.IntegrationTests.Features.Billing;

[CollectionDefinition]
public sealed class PricingRecoveryCollection;

/// <summary>
/// Pricing is durable: it is driven by the event store with its progress in PostgreSQL, so neither a redelivery nor a
/// crash between a stop's commit and its pricing changes how often a session is priced (exactly once).
/// Hosts are started and stopped on one database, as nodes restarting after a crash would be.
/// </summary>
[Collection(typeof(PricingRecoveryCollection))]
public sealed class PricingRecoveryTests(PostgresServer server)
{
    private const string Subscription = TransactionPricingSubscription.SubscriptionNameValue;

    [Fact]
    public async Task a_replayed_stop_is_not_priced_twice_and_a_stop_left_unpriced_by_a_crash_is_priced_on_restart()
    {
        string database, transactionId;
        long stopSequence;
        await using (var first = new LedgerHost(server))
        {
            await first.InitializeAsync();
            database = first.ConnectionString;
            (transactionId, _, _, _) = await first.ContractSessionAsync();
            stopSequence = (await first.PricedStreamAsync(transactionId)).Single(e => e.Data is TransactionStopped).Sequence;
        }

        var streamKey = StreamKeys.Transaction(transactionId);

        // Redelivery: the subscription starts over after the first event (a floor of 0 would make the daemon insert its
        // progress row anew); everything it sees is already priced.
        await ExecuteAsSuperuserAsync(database, "update chargeledger.mt_event_progression set last_seq_id = 1 where name like $1", $"{Subscription}%");
        await using (var replaying = HostOn(database))
        {
            await replaying.InitializeAsync();
            await replaying.WaitForProjectionsAsync();
            (await replaying.StreamAsync(streamKey)).Count(e => e.Data is TransactionPriced).ShouldBe(1);
        }

        // A crash after the stop's commit and before its pricing's: no TransactionPriced, progress short of the stop.
        await ExecuteAsSuperuserAsync(database, "delete from chargeledger.mt_events where stream_id = $1 and type = 'transaction_priced'", streamKey);
        await ExecuteAsSuperuserAsync(database, "update chargeledger.mt_streams set version = version - 1 where id = $1", streamKey);
        await ExecuteAsSuperuserAsync(database,
            $"update chargeledger.mt_event_progression set last_seq_id = {stopSequence - 1} where name like $1", $"{Subscription}%");
        await using var restarted = HostOn(database);
        await restarted.InitializeAsync();

        var events = await restarted.PricedStreamAsync(transactionId);

        events.Count(e => e.Data is TransactionPriced).ShouldBe(1);
        ((TransactionPriced)events[^1].Data).Pricing.TotalCostInclVat.ShouldBe(3.75m);
        HashChain.FirstBrokenLink(streamKey, await restarted.StoredChainAsync(streamKey)).ShouldBeNull();
    }

    /// <summary>A host on an existing database (LedgerHost otherwise creates a fresh one; its own stays unused).</summary>
    private LedgerHost HostOn(string connectionString) => new(server)
    {
        Configure = builder => builder.Configuration.AddInMemoryCollection([new("ConnectionStrings:Marten", connectionString)]),
    };

    private async Task ExecuteAsSuperuserAsync(string database, string sql, string parameter)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(server.AdminConnectionString)
        {
            Database = new NpgsqlConnectionStringBuilder(database).Database,
        }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
#pragma warning disable CA2100 // fixed statements from this class; values are parameters or numbers read from the store
        await using var command = new NpgsqlCommand(sql, connection);
#pragma warning restore CA2100
        command.Parameters.AddWithValue(parameter);
        (await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken)).ShouldBeGreaterThanOrEqualTo(1);
    }
}
