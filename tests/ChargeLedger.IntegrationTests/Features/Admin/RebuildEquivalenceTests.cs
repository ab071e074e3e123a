using System.Net;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events;
using Marten.Events.Projections;
using Npgsql;
using Weasel.Postgresql.Tables;

namespace ChargeLedger.IntegrationTests.Features.Admin;

[CollectionDefinition]
public sealed class RebuildEquivalenceCollection : ICollectionFixture<LedgerHost>;

/// <summary>
/// DESIGN rule 6 / RELIABILITY I3: every async projection equals its full rebuild. Written over whatever the store
/// registers (store.Options.Projections and the tables each one owns: its documents' mt_doc_* tables and any tables
/// it adds itself, such as flat tables), so projections added later are covered without touching this test.
/// </summary>
[Collection(typeof(RebuildEquivalenceCollection))]
public sealed class RebuildEquivalenceTests(LedgerHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task every_async_projection_equals_its_full_rebuild_after_a_mixed_workload()
    {
        await MixedWorkloadAsync();
        await host.WaitForProjectionsAsync();
        var tables = ProjectionTables(host.Store);
        tables.Keys.ShouldContain(global::ChargeLedger.Projections.ChargePointStatus.ChargePointStatusProjection.ProjectionName);
        tables.Keys.ShouldContain(global::ChargeLedger.Projections.Transactions.TransactionProjection.ProjectionName);
        var live = await SnapshotAsync(tables);
        live.Values.Sum(rows => rows.Count).ShouldBeGreaterThan(0);

        // Damage every projection's rows first, so the comparison can only pass if the rebuild really rewrote them.
        foreach (var table in tables.Values.SelectMany(t => t))
        {
            await ExecuteAsync($"delete from {table} where ctid = (select ctid from {table} limit 1)");
        }

        // A member of a projection group is rebuilt with its group: one request per group, which names all it rebuilds.
        var api = host.Api(Roles.Developer);
        var rebuilding = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in tables.Keys)
        {
            if (rebuilding.Contains(name))
            {
                continue;
            }

            var accepted = await (await api.PostAsync($"/api/admin/projections/{name}/rebuild", null, Ct)).ReadJsonAsync(HttpStatusCode.Accepted);
            rebuilding.UnionWith(accepted.GetProperty("rebuilds").EnumerateArray().Select(n => n.GetString()!));
        }

        rebuilding.ShouldBe(tables.Keys, ignoreOrder: true);

        foreach (var name in tables.Keys)
        {
            var row = await Eventually.ReturnsAsync(
                async () => (await api.GetJsonAsync("/api/admin/projections")).EnumerateArray().Single(p => p.GetProperty("name").GetString() == name),
                r => r.GetProperty("lastRebuild").GetProperty("status").GetString() != "Running", $"the rebuild of {name} finishes",
                TimeSpan.FromMinutes(2));
            row.GetProperty("lastRebuild").GetProperty("status").GetString().ShouldBe("Completed", row.ToString());
        }

        await host.WaitForProjectionsAsync();
        var rebuilt = await SnapshotAsync(tables);

        foreach (var (name, rows) in live)
        {
            rebuilt[name].ShouldBe(rows, $"{name} after a full rebuild");
        }
    }

    /// <summary>Boots, statuses including Faulted, sessions with meter values, stops, one still running, a disconnect and reconnect.</summary>
    private async Task MixedWorkloadAsync()
    {
        var station = await host.RegisteredStationAsync();
        var otherStation = await host.RegisteredStationAsync();
        var idTag = await host.IssuedIdTagAsync();
        var blocked = await host.IssuedIdTagAsync(blocked: true);
        var t0 = Scenarios.SessionStart;
        for (var i = 0; i < 3; i++)
        {
            var (cp, credentials) = await host.BootedChargePointAsync(i == 2 ? otherStation : station);
            await using (cp)
            {
                await cp.StatusAsync(1, "Available", t0);
                await cp.StatusAsync(2, "Available", t0);
                var first = await cp.StartTransactionAsync(i == 1 ? blocked : idTag, connectorId: 1, meterStart: 1000 * i, at: t0.AddMinutes(1));
                await cp.StatusAsync(1, "Charging", t0.AddMinutes(1));
                for (var m = 1; m <= 3; m++)
                {
                    await cp.MeterValuesAsync(first.TransactionId, (1000 * i) + (m * 250), t0.AddMinutes(1 + (m * 5)));
                }

                await cp.StopTransactionAsync(first.TransactionId, (1000 * i) + 900, t0.AddMinutes(20));
                await cp.StatusAsync(1, "Finishing", t0.AddMinutes(20));
                await cp.StatusAsync(2, "Faulted", t0.AddMinutes(21));
                await cp.StartTransactionAsync(idTag, connectorId: 1, meterStart: (1000 * i) + 900, at: t0.AddMinutes(30));
            }

            if (i == 0)
            {
                await using var reconnected = await host.ConnectedAsync(credentials);
                await reconnected.BootedAsync();
                await reconnected.StatusAsync(2, "Available", t0.AddMinutes(40));
            }
        }

        // Station telemetry (issue 4): a meter over two UTC days with a reset, and a transformer.
        var gateway = await host.RegisteredGatewayAsync(station);
        await host.MappedDevicesAsync(gateway.Id,
            TelemetryScenarios.Device("meter-1", "import_wh", LedgerHost.NewId("MTR"), "meter", "Energy.Active.Import.Register", "Wh"),
            TelemetryScenarios.Device("trafo-1", "temp", LedgerHost.NewId("TR"), "transformer", "Temperature", "Celsius"));
        var now = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddDays(-1).AddHours(22);
        foreach (var (minutes, wh) in new[] { (0, 1000m), (40, 1800m), (70, 2500m), (95, 100m), (180, 900m) })
        {
            await host.IngestAsync(gateway, "meter-1", now.AddMinutes(minutes), ("import_wh", wh, null));
            await host.IngestAsync(gateway, "trafo-1", now.AddMinutes(minutes), ("temp", 60m + minutes, null));
        }
    }

    /// <summary>Each async projection and the tables it owns: its published documents' tables and any tables it adds itself.</summary>
    private static Dictionary<string, List<string>> ProjectionTables(IDocumentStore store)
    {
        var options = (StoreOptions)store.Options;
        var tables = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var projection in options.Projections.All.Where(p => p.Lifecycle == ProjectionLifecycle.Async)
                     .SelectMany(p => p is CompositeProjection group ? group.AllProjections().Cast<ProjectionBase>() : [(ProjectionBase)p]))
        {
            var owned = projection.PublishedTypes().Select(t => store.Options.FindOrResolveDocumentType(t).TableName.QualifiedName).ToList();
            if (projection is IProjectionSchemaSource schema)
            {
                owned.AddRange(schema.CreateSchemaObjects((EventGraph)options.Events).OfType<Table>().Select(t => t.Identifier.QualifiedName));
            }

            owned.ShouldNotBeEmpty($"async projection {projection.Name} owns no table this test can find; it would go unchecked");
            tables[projection.Name] = [.. owned.Distinct(StringComparer.Ordinal)];
        }

        return tables;
    }

    /// <summary>
    /// Every row as canonical JSON (jsonb sorts keys), ordered. Left out: mt_last_modified, the wall-clock time of the
    /// write, which a rebuild moves by design; and mt_version where it is a uuid, which Marten draws at random on every
    /// write of a non-revisioned document. A bigint mt_version (stream version or sequence) is kept and compared.
    /// </summary>
    private async Task<Dictionary<string, List<string>>> SnapshotAsync(Dictionary<string, List<string>> tables)
    {
        var snapshot = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await using var connection = new NpgsqlConnection(host.ConnectionString);
        await connection.OpenAsync(Ct);
        foreach (var table in tables.Values.SelectMany(t => t))
        {
            var volatileColumns = new List<string> { "mt_last_modified" };
            await using (var columns = new NpgsqlCommand(
                "select column_name from information_schema.columns where table_schema || '.' || table_name = $1 and column_name = 'mt_version' and data_type = 'uuid'",
                connection))
            {
                columns.Parameters.AddWithValue(table);
                if (await columns.ExecuteScalarAsync(Ct) is string version)
                {
                    volatileColumns.Add(version);
                }
            }

#pragma warning disable CA2100 // table names come from the store's own model
            await using var select = new NpgsqlCommand($"select (to_jsonb(t) - $1::text[])::text as row from {table} t order by row", connection);
#pragma warning restore CA2100
            select.Parameters.AddWithValue(volatileColumns.ToArray());
            var rows = new List<string>();
            await using var reader = await select.ExecuteReaderAsync(Ct);
            while (await reader.ReadAsync(Ct))
            {
                rows.Add(reader.GetString(0));
            }

            snapshot[table] = rows;
        }

        return snapshot;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(host.ConnectionString);
        await connection.OpenAsync(Ct);
#pragma warning disable CA2100 // table names come from the store's own model
        await using var command = new NpgsqlCommand(sql, connection);
#pragma warning restore CA2100
        await command.ExecuteNonQueryAsync(Ct);
    }
}
