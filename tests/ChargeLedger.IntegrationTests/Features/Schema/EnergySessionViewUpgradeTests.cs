using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;

namespace ChargeLedger.IntegrationTests.Features.Schema;

/// <summary>
/// Migration 0013_energysessionview_columns on a database the release before it wrote: its EnergySessionView documents
/// have no lastSlot field (the property is new), so the migration backfills last_slot from lastAt. The columns must come
/// out exactly as the model writes them for the same sessions, and the energy report, which narrows its window by
/// last_slot, must read the same rows. The export's own backfill (data ->> 'lastSlot') would leave last_slot null and the
/// report empty.
/// </summary>
public sealed class EnergySessionViewUpgradeTests(PostgresServer server)
{
    private const string Energy = "chargeledger.mt_doc_energysessionview";

    [Fact]
    public async Task the_upgrade_computes_the_columns_of_stored_sessions_as_the_model_does_and_the_report_reads_them()
    {
        string connectionString, stationId, columnsBefore, reportBefore;
        await using (var before = new LedgerHost(server))
        {
            await before.InitializeAsync();
            connectionString = before.ConnectionString;
            (_, stationId, _, _) = await before.ContractSessionAsync();
            await before.ContractSessionAsync(stationId);
            await before.WaitForProjectionsAsync();
            columnsBefore = await ColumnsAsync(before);
            columnsBefore.Split('\n').Length.ShouldBe(2);
            columnsBefore.ShouldNotContain("null");
            var report = await before.Api(Roles.Operator).GetJsonAsync(ReportUrl(stationId));
            report.EnumerateArray().Sum(r => r.GetProperty("sessions").GetInt32()).ShouldBe(2);
            reportBefore = report.GetRawText();

            // The table as the release before 0013 and 0014 left it: expression indexes on data, no columns, no lastSlot in
            // the documents, full pages.
            await server.ExecuteAsSuperuserAsync(before,
                $"alter table {Energy} drop column last_slot, drop column station_id, reset (fillfactor); " +
                $"update {Energy} set data = data - 'lastSlot'; " +
                $"create index mt_doc_energysessionview_idx_station_id on {Energy} using btree ((data ->> 'stationId')); " +
                $"create index mt_doc_energysessionview_idx_last_at on {Energy} using btree (chargeledger.mt_immutable_timestamptz(data ->> 'lastAt'))");
            await server.ExecuteAsSuperuserAsync(before,
                "delete from chargeledger.schema_migrations where id in ('0013_energysessionview_columns', '0014_energysessionview_fillfactor')");
        }

        await using var after = new LedgerHost(server) { SharedConnectionString = connectionString };
        await after.InitializeAsync();

        (await ColumnsAsync(after)).ShouldBe(columnsBefore, "the backfill computes each last_slot as EnergyPeriods.SlotOf did");
        (await after.Api(Roles.Operator).GetJsonAsync(ReportUrl(stationId))).GetRawText().ShouldBe(reportBefore);
        (await server.ScalarAsSuperuserAsync<string[]>(after, $"select reloptions from pg_class where oid = '{Energy}'::regclass"))
            .ShouldContain("fillfactor=70");
    }

    private static string ReportUrl(string stationId) => $"/api/reports/energy?from=2026-03-02&to=2026-03-02&groupBy=hour&stationId={stationId}";

    /// <summary>Each session's id and duplicated columns, one line per session in id order; null where a column is empty.</summary>
    private Task<string> ColumnsAsync(LedgerHost host) =>
        server.ScalarAsSuperuserAsync<string>(host,
            $"select string_agg(concat_ws(' ', id, coalesce(station_id, 'null'), coalesce(last_slot::text, 'null')), E'\\n' order by id) from {Energy}");
}
