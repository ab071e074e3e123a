using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Projections;

namespace ChargeLedger.IntegrationTests.Features.Schema;

/// <summary>
/// Migration 0010_projection_groups on a database the ungrouped projections ran on: a group whose members stood at one
/// position carries on from it and replays nothing; a group whose members stood apart is emptied and replayed from the
/// first event, so no member applies an event twice. Without the migration the groups would start from the first event
/// on top of their members' existing rows (and stop at once on them).
/// </summary>
public sealed class ProjectionGroupUpgradeTests(PostgresServer server)
{
    private const string Migration = "0010_projection_groups";
    private const string Sessions = "chargeledger.mt_doc_transactionview";
    private const string Energy = "chargeledger.mt_doc_energysessionview";
    private const string Status = "chargeledger.mt_doc_chargepointstatusview";

    [Fact]
    public async Task a_group_carries_on_from_its_members_position_or_replays_when_they_stood_apart()
    {
        string connectionString;
        string transactionsBefore, energyBefore;
        long statusRowsBefore;
        await using (var before = new LedgerHost(server))
        {
            await before.InitializeAsync();
            connectionString = before.ConnectionString;
            await before.ContractSessionAsync();
            await before.ContractSessionAsync();
            await before.WaitForProjectionsAsync();
            transactionsBefore = await RowsAsync(before, Sessions);
            energyBefore = await RowsAsync(before, Energy);
            statusRowsBefore = await server.ScalarAsSuperuserAsync<long>(before, $"select count(*) from {Status}");
            statusRowsBefore.ShouldBe(2);

            // The database as the ungrouped version left it: no group rows, no 0010. Operations' members stopped caught up
            // (one position); Transactions stopped 2 events behind Energy and Cdrs. Then damage: one status row and one
            // energy row gone, which only a replay brings back.
            await server.ExecuteAsSuperuserAsync(before,
                $"delete from chargeledger.mt_event_progression where name in ('{ProjectionGroups.Operations}:All', '{ProjectionGroups.Sessions}:All')");
            await server.ExecuteAsSuperuserAsync(before, "delete from chargeledger.schema_migrations where id = $1", Migration);
            await server.ExecuteAsSuperuserAsync(before, "update chargeledger.mt_event_progression set last_seq_id = last_seq_id - 2 where name = 'Transactions:All'");
            await server.ExecuteAsSuperuserAsync(before, $"delete from {Status} where ctid = (select ctid from {Status} limit 1)");
            await server.ExecuteAsSuperuserAsync(before, $"delete from {Energy} where ctid = (select ctid from {Energy} limit 1)");
        }

        await using var after = new LedgerHost(server) { SharedConnectionString = connectionString };
        await after.InitializeAsync();
        var newest = await server.ScalarAsSuperuserAsync<long>(after, "select max(seq_id) from chargeledger.mt_events");

        var operations = await server.ScalarAsSuperuserAsync<long>(after,
            $"select coalesce((select last_seq_id from chargeledger.mt_event_progression where name = '{ProjectionGroups.Operations}:All'), -1)");
        operations.ShouldBe(newest, "Operations carries on from where its members stood");
        await Eventually.ReturnsAsync(
            () => server.ScalarAsSuperuserAsync<long>(after,
                $"select coalesce((select last_seq_id from chargeledger.mt_event_progression where name = '{ProjectionGroups.Sessions}:All'), -1)"),
            position => position == newest, "Sessions replays every event and catches up");
        await after.WaitForProjectionsAsync();

        (await RowsAsync(after, Sessions)).ShouldBe(transactionsBefore, "the replayed transactions equal the live ones: nothing applied twice");
        (await RowsAsync(after, Energy)).ShouldBe(energyBefore, "the replay brought the deleted energy row back");
        (await server.ScalarAsSuperuserAsync<long>(after, $"select count(*) from {Status}"))
            .ShouldBe(statusRowsBefore - 1, "Operations replayed nothing: the deleted status row stays deleted");
        (await server.ScalarAsSuperuserAsync<long>(after,
                "select count(*) from chargeledger.mt_event_progression where name in ('Transactions:All', 'Energy:All', 'Cdrs:All') and last_seq_id = $1", newest))
            .ShouldBe(3L, "each member keeps its own row, level with its group");
    }

    /// <summary>The table's rows as canonical JSON, in one ordered string; without the write time, and without mt_version, which
    /// Marten draws at random per write for some documents (RebuildEquivalenceTests keeps it where it is a number).</summary>
    private Task<string> RowsAsync(LedgerHost host, string table) =>
        server.ScalarAsSuperuserAsync<string>(host,
            $"select coalesce(string_agg(row, E'\\n' order by row), '') from (select (to_jsonb(t) - 'mt_last_modified' - 'mt_version')::text as row from {table} t) rows");
}
