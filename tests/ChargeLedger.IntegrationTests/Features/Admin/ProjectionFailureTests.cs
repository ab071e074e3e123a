using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Projections;
using ChargeLedger.Projections.Admin;
using ChargeLedger.Projections.ChargePointStatus;
using ChargeLedger.Projections.Transactions;
using ChargeLedger.Projections.Uptime;
using ChargeLedger.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChargeLedger.IntegrationTests.Features.Admin;

/// <summary>A host of its own: its ChargePointStatus projection is stopped on purpose, and its logs are captured.</summary>
public sealed class FailingProjectionHost(PostgresServer server) : IAsyncLifetime
{
    public CapturedLogs Logs { get; } = new();

    public LedgerHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Host = new LedgerHost(server) { Configure = builder => builder.Logging.AddProvider(Logs) };
        await Host.InitializeAsync();
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}

[CollectionDefinition]
public sealed class ProjectionFailureCollection : ICollectionFixture<FailingProjectionHost>;

/// <summary>
/// Issue 3: a projection never skips an event silently. An event it cannot apply (a stored row whose JSON does not
/// deserialize) stops it; the admin endpoint, the health entry, a metric and one error log line say so; nothing
/// after the event is applied; and it resumes once the event is repaired.
/// </summary>
[Collection(typeof(ProjectionFailureCollection))]
public sealed class ProjectionFailureTests(PostgresServer server, FailingProjectionHost fixture)
{
    private LedgerHost Host => fixture.Host;

    [Fact]
    public async Task an_event_a_projection_cannot_apply_stops_it_loudly_and_nothing_after_it_is_applied()
    {
        var (poisoned, a) = await Host.BootedChargePointAsync();
        var (healthy, b) = await Host.BootedChargePointAsync(a.StationId);
        await using var disposePoisoned = poisoned;
        await using var disposeHealthy = healthy;
        await poisoned.StatusAsync(1, "Available");
        await healthy.StatusAsync(1, "Available");
        await Host.WaitForProjectionsAsync();
        var streamA = StreamKeys.ChargePoint(a.Id);
        var validJson = await server.ScalarAsSuperuserAsync<string>(Host,
            "select data::text from chargeledger.mt_events where stream_id = $1 and type = 'connector_status_changed'", streamA);

        var poisonSequence = await server.ScalarAsSuperuserAsync<long>(Host,
            """
            with s as (update chargeledger.mt_streams set version = version + 1 where id = $1 returning version)
            insert into chargeledger.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id)
            select nextval('chargeledger.mt_events_sequence'), gen_random_uuid(), $1, s.version,
                   jsonb_set($2::jsonb, '{connectorId}', '{"not":"a number"}'), 'connector_status_changed', now(), '*DEFAULT*' from s
            returning seq_id
            """, streamA, validJson);
        await healthy.StatusAsync(1, "Faulted", Scenarios.SessionStart.AddMinutes(1));
        var faultedSequence = (await Host.StreamAsync(StreamKeys.ChargePoint(b.Id)))[^1].Sequence;
        faultedSequence.ShouldBeGreaterThan(poisonSequence);
        var developer = Host.Api(Roles.Developer);

        var stopped = await Eventually.ReturnsAsync(
            async () => Row(await developer.GetJsonAsync("/api/admin/projections"), ChargePointStatusProjection.ProjectionName),
            row => row.GetProperty("state").GetString() == ProjectionAdminEndpoints.Stopped && row.GetProperty("error").ValueKind == JsonValueKind.Object,
            "ChargePointStatus is reported stopped with the error that stopped it"); // between the failure and its record it is briefly "stopped" without one
        var transactions = await Eventually.ReturnsAsync(
            async () => Row(await developer.GetJsonAsync("/api/admin/projections"), TransactionProjection.ProjectionName),
            row => row.GetProperty("lastProcessedSequence").GetInt64() >= faultedSequence, "the other projection carries on past the poison event");

        stopped.GetProperty("lastProcessedSequence").GetInt64().ShouldBeLessThan(poisonSequence);
        stopped.GetProperty("lagEvents").GetInt64().ShouldBeGreaterThanOrEqualTo(faultedSequence - stopped.GetProperty("lastProcessedSequence").GetInt64());
        var error = stopped.GetProperty("error");
        error.GetProperty("eventSequence").GetInt64().ShouldBe(poisonSequence);
        error.GetProperty("eventType").GetString().ShouldBe("connector_status_changed");
        error.GetProperty("message").GetString().ShouldNotBeNullOrWhiteSpace();
        transactions.GetProperty("state").GetString().ShouldBe(ProjectionAdminEndpoints.Running);
        Row(await developer.GetJsonAsync("/api/admin/projections"), UptimeTransitionProjection.ProjectionName).GetProperty("state").GetString()
            .ShouldBe(ProjectionAdminEndpoints.Stopped, "Uptime reads the same event type, and is in the same group");
        transactions.GetProperty("error").ValueKind.ShouldBe(JsonValueKind.Null);

        var status = await Host.Api(Roles.Operator).GetJsonAsync($"/api/chargepoints/{b.Id}");
        status.GetProperty("connectors")[0].GetProperty("status").GetString().ShouldBe("Available", "the Faulted status came after the poison event");

        var health = await Host.Api(null).GetJsonAsync("/health");
        health.GetProperty("status").GetString().ShouldBe("Degraded");
        var entry = health.GetProperty("entries").GetProperty(ProjectionHealthCheck.Name);
        entry.GetProperty("status").GetString().ShouldBe("Degraded");
        // The projection stops with its group (ProjectionGroups.Operations), and the entry names both.
        entry.GetProperty("data").EnumerateObject().Select(p => p.Name)
            .ShouldContain(n => n.StartsWith(ProjectionGroups.Operations, StringComparison.Ordinal) && n.Contains(ChargePointStatusProjection.ProjectionName, StringComparison.Ordinal),
                entry.ToString());
        (await Host.Api(null).GetAsync("/health/ready", TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.OK);

        StoppedGauge(Host).ShouldBe(1);
        fixture.Logs.Entries.Count(l => l.Level == LogLevel.Error && l.Category == typeof(ProjectionMonitor).FullName &&
                                        l.Message.Contains(ChargePointStatusProjection.ProjectionName, StringComparison.Ordinal))
            .ShouldBe(1, "one error line per failure, not one per retry");

        // A rebuild cannot get past the event either: it fails, says why, and the projection stays stopped.
        (await developer.PostAsync($"/api/admin/projections/{ChargePointStatusProjection.ProjectionName}/rebuild", null,
            TestContext.Current.CancellationToken)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var failedRebuild = await Eventually.ReturnsAsync(
            async () => Row(await developer.GetJsonAsync("/api/admin/projections"), ChargePointStatusProjection.ProjectionName),
            row => row.GetProperty("lastRebuild").GetProperty("status").GetString() != "Running", "the rebuild ends");
        failedRebuild.GetProperty("lastRebuild").GetProperty("status").GetString().ShouldBe("Failed", failedRebuild.ToString());
        failedRebuild.GetProperty("lastRebuild").GetProperty("error").GetString().ShouldNotBeNullOrWhiteSpace();
        await Eventually.ReturnsAsync(
            async () => Row(await developer.GetJsonAsync("/api/admin/projections"), ChargePointStatusProjection.ProjectionName),
            row => row.GetProperty("state").GetString() == ProjectionAdminEndpoints.Stopped, "the projection is stopped on the same event again");

        await server.ExecuteAsSuperuserAsync(Host, "update chargeledger.mt_events set data = $2::jsonb where seq_id = $1", poisonSequence, validJson);

        var resumed = await Eventually.ReturnsAsync(
            async () => Row(await developer.GetJsonAsync("/api/admin/projections"), ChargePointStatusProjection.ProjectionName),
            row => row.GetProperty("state").GetString() == ProjectionAdminEndpoints.Running && row.GetProperty("lastProcessedSequence").GetInt64() >= faultedSequence,
            "ChargePointStatus resumes once the event is repaired");
        resumed.GetProperty("error").ValueKind.ShouldBe(JsonValueKind.Null);
        (await Host.Api(Roles.Operator).GetJsonAsync($"/api/chargepoints/{b.Id}")).GetProperty("connectors")[0].GetProperty("status").GetString()
            .ShouldBe("Faulted");
        // Uptime reads the same event type and was stopped by it too; it resumes on its own retry, maybe a little later.
        await Eventually.ReturnsAsync(async () => (await Host.Api(null).GetJsonAsync("/health")).GetProperty("status").GetString(),
            s => s == "Healthy", "every projection stopped by the event resumes once it is repaired");
        StoppedGauge(Host).ShouldBe(0);
    }

    private static JsonElement Row(JsonElement projections, string name) =>
        projections.EnumerateArray().Single(p => p.GetProperty("name").GetString() == name);

    /// <summary>
    /// The "stopped" gauge of meter ChargeLedger.Projections for ChargePointStatus, read as dotnet-counters would; only
    /// this host's meter (its IMeterFactory), as other collections' hosts run in the same process.
    /// </summary>
    private static int StoppedGauge(LedgerHost host)
    {
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        int? value = null;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Meter.Name == ProjectionMonitor.MeterName &&
                    instrument.Name == "chargeledger.projections.stopped")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((_, measurement, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "projection", Value: ChargePointStatusProjection.ProjectionName })
                {
                    value = measurement;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return value ?? throw new Shouldly.ShouldAssertException("The stopped gauge reported nothing for ChargePointStatus.");
    }
}
