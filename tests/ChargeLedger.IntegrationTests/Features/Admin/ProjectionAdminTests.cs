using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Projections.Admin;
using ChargeLedger.Projections.ChargePointStatus;
using ChargeLedger.Projections.Transactions;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace ChargeLedger.IntegrationTests.Features.Admin;

/// <summary>A host with the test-only <see cref="GateProjection"/> registered next to the real projections.</summary>
public sealed class GatedHost(PostgresServer server) : IAsyncLifetime
{
    public LedgerHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Host = new LedgerHost(server)
        {
            Configure = builder => builder.Services.ConfigureMarten(o => o.Projections.Add(new GateProjection(), ProjectionLifecycle.Async)),
        };
        await Host.InitializeAsync();
    }

    public ValueTask DisposeAsync()
    {
        GateProjection.Open();
        return Host.DisposeAsync();
    }
}

[CollectionDefinition]
public sealed class ProjectionAdminCollection : ICollectionFixture<GatedHost>;

/// <summary>GET /api/admin/projections and POST /api/admin/projections/{name}/rebuild (CONTRACT.md, issue 3).</summary>
[Collection(typeof(ProjectionAdminCollection))]
public sealed class ProjectionAdminTests(GatedHost fixture)
{
    private const string Path = "/api/admin/projections";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private LedgerHost Host => fixture.Host;

    [Fact]
    public async Task every_registered_projection_is_listed_running_and_caught_up()
    {
        await Host.RegisteredChargePointAsync();
        await Host.WaitForProjectionsAsync();

        var rows = await Host.Api(Roles.Developer).GetJsonAsync(Path);

        rows.EnumerateArray().Select(r => r.GetProperty("name").GetString())
            .ShouldBe([ChargePointStatusProjection.ProjectionName, GateProjection.ProjectionName, TransactionProjection.ProjectionName,
                global::ChargeLedger.Projections.Energy.EnergyProjection.ProjectionName,
                global::ChargeLedger.Projections.Uptime.UptimeTransitionProjection.ProjectionName,
                global::ChargeLedger.Projections.Billing.CdrProjection.ProjectionName,
                global::ChargeLedger.Projections.Grid.GridMeterProjection.ProjectionName,
                global::ChargeLedger.Projections.Alarms.AlarmProjection.ProjectionName], ignoreOrder: true);
        foreach (var row in rows.EnumerateArray())
        {
            row.GetProperty("lifecycle").GetString().ShouldBe("Async");
            row.GetProperty("state").GetString().ShouldBe(ProjectionAdminEndpoints.Running, row.ToString());
            row.GetProperty("highWaterMark").GetInt64().ShouldBeGreaterThan(0);
            row.GetProperty("lastProcessedSequence").GetInt64().ShouldBe(row.GetProperty("highWaterMark").GetInt64());
            row.GetProperty("lagEvents").GetInt64().ShouldBe(0);
            row.GetProperty("lagSeconds").GetDouble().ShouldBe(0);
            row.GetProperty("error").ValueKind.ShouldBe(JsonValueKind.Null);
        }
    }

    [Fact]
    public async Task a_rebuild_runs_in_the_background_is_visible_and_a_second_one_is_refused_while_it_runs()
    {
        await Host.RegisteredStationAsync();
        await Host.WaitForProjectionsAsync();
        var api = Host.Api(Roles.Developer);
        var appliedBefore = GateProjection.Applied;
        GateProjection.Close();
        try
        {
            var accepted = await api.PostAsync($"{Path}/testgate/rebuild", null, Ct);

            var body = await accepted.ReadJsonAsync(HttpStatusCode.Accepted);
            body.GetProperty("name").GetString().ShouldBe(GateProjection.ProjectionName);
            accepted.Headers.Location!.ToString().ShouldBe(Path);
            await Eventually.ReturnsAsync(() => Task.FromResult(GateProjection.Applied), n => n > appliedBefore, "the rebuild replays into the gate");
            var during = Row(await api.GetJsonAsync(Path), GateProjection.ProjectionName);
            during.GetProperty("state").GetString().ShouldBe(ProjectionAdminEndpoints.Rebuilding);
            during.GetProperty("lastRebuild").GetProperty("status").GetString().ShouldBe("Running");
            var second = await api.PostAsync($"{Path}/{GateProjection.ProjectionName}/rebuild", null, Ct);
            (await second.ReadJsonAsync(HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain(GateProjection.ProjectionName);
        }
        finally
        {
            GateProjection.Open();
        }

        var after = await Eventually.ReturnsAsync(async () => Row(await api.GetJsonAsync(Path), GateProjection.ProjectionName),
            r => r.GetProperty("state").GetString() == ProjectionAdminEndpoints.Running && r.GetProperty("lagEvents").GetInt64() == 0,
            "the rebuilt projection runs again and catches up");
        var rebuild = after.GetProperty("lastRebuild");
        rebuild.GetProperty("status").GetString().ShouldBe("Completed");
        rebuild.GetProperty("finishedAt").GetDateTimeOffset().ShouldBeGreaterThanOrEqualTo(rebuild.GetProperty("startedAt").GetDateTimeOffset());

        // Continuous processing resumed after the rebuild: a new event reaches the projection.
        var applied = GateProjection.Applied;
        await Host.RegisteredStationAsync();
        await Eventually.ReturnsAsync(() => Task.FromResult(GateProjection.Applied), n => n > applied, "continuous processing resumes");
        (await api.PostAsync($"{Path}/{GateProjection.ProjectionName}/rebuild", null, Ct)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await Eventually.ReturnsAsync(async () => Row(await api.GetJsonAsync(Path), GateProjection.ProjectionName),
            r => r.GetProperty("lastRebuild").GetProperty("status").GetString() == "Completed", "a later rebuild is accepted once the first finished");
    }

    [Fact]
    public async Task each_batch_a_projection_commits_records_its_lag_in_seconds()
    {
        var factory = Host.Services.GetRequiredService<IMeterFactory>();
        var measurements = new ConcurrentQueue<(string Projection, double Seconds)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Meter.Name == ProjectionMonitor.MeterName && instrument.Name == "chargeledger.projections.lag")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "projection")
                {
                    measurements.Enqueue(((string)tag.Value!, value));
                }
            }
        });
        listener.Start();

        await Host.RegisteredStationAsync();
        await Host.WaitForProjectionsAsync();

        var recorded = await Eventually.ReturnsAsync(() => Task.FromResult(measurements.ToArray()),
            m => m.Any(x => x.Projection == GateProjection.ProjectionName), "the gate projection's batch records a lag");
        recorded.ShouldAllBe(x => x.Seconds >= 0 && x.Seconds < LedgerHost.ProjectionTimeout.TotalSeconds);
    }

    [Fact]
    public async Task rebuilding_a_member_of_a_projection_group_rebuilds_the_group_and_each_member_shows_it()
    {
        await Host.RegisteredChargePointAsync();
        await Host.WaitForProjectionsAsync();
        var api = Host.Api(Roles.Developer);
        string[] sessions = [TransactionProjection.ProjectionName, global::ChargeLedger.Projections.Energy.EnergyProjection.ProjectionName,
            global::ChargeLedger.Projections.Billing.CdrProjection.ProjectionName];

        var accepted = await (await api.PostAsync($"{Path}/energy/rebuild", null, Ct)).ReadJsonAsync(HttpStatusCode.Accepted);

        accepted.GetProperty("name").GetString().ShouldBe(global::ChargeLedger.Projections.Energy.EnergyProjection.ProjectionName);
        accepted.GetProperty("rebuilds").EnumerateArray().Select(n => n.GetString()).ShouldBe(sessions, ignoreOrder: true);
        var rows = await Eventually.ReturnsAsync(async () => await api.GetJsonAsync(Path),
            r => sessions.All(name => Row(r, name).GetProperty("lastRebuild") is { ValueKind: JsonValueKind.Object } rebuild &&
                                      rebuild.GetProperty("status").GetString() == "Completed"),
            "every member of the group reports the rebuild completed");
        sessions.Select(name => Row(rows, name).GetProperty("lastRebuild").GetProperty("startedAt").GetDateTimeOffset()).Distinct().Count()
            .ShouldBe(1, "one rebuild of the group, not one per member");
        Row(rows, ChargePointStatusProjection.ProjectionName).GetProperty("lastRebuild").ValueKind.ShouldBe(JsonValueKind.Null, "another group is not rebuilt");
        await Host.WaitForProjectionsAsync();
    }

    [Fact]
    public async Task rebuilding_an_unknown_projection_is_404()
    {
        var response = await Host.Api(Roles.Developer).PostAsync($"{Path}/NoSuchProjection/rebuild", null, Ct);

        (await response.ReadJsonAsync(HttpStatusCode.NotFound)).GetProperty("detail").GetString()!.ShouldContain(TransactionProjection.ProjectionName);
    }

    [Fact]
    public async Task projection_admin_needs_the_developer_role()
    {
        (await Host.Api(Roles.Operator).GetAsync(Path, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await Host.Api(Roles.Finance).PostAsync($"{Path}/Transactions/rebuild", null, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await Host.Api(null).GetAsync(Path, Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await Host.Api(Roles.Admin).GetAsync(Path, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private static JsonElement Row(JsonElement rows, string name) => rows.EnumerateArray().Single(p => p.GetProperty("name").GetString() == name);
}
