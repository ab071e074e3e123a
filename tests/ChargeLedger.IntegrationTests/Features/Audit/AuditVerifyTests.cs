using System.Net;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.Audit;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Shared;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ChargeLedger.IntegrationTests.Features.Audit;

[CollectionDefinition]
public sealed class AuditCollection : ICollectionFixture<LedgerHost>;

/// <summary>
/// Issue 3 / RELIABILITY F8: audit verify recomputes every transaction's hash chain from the stored rows and reports the
/// first broken link per stream. A superuser edits a row's data, edits a hash header, deletes a middle event and
/// deletes the last event; each is caught where it happened. Tests here tamper with their own transactions only.
/// </summary>
[Collection(typeof(AuditCollection))]
public sealed class AuditVerifyTests(PostgresServer server, LedgerHost host)
{
    private const string Path = "/api/admin/audit/verify";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static int _sessions;

    /// <summary>
    /// A completed transaction: started (v1), meter values (v2), stopped (v3); each at its own start time, as a start
    /// identical to an earlier one is a replay of it. Returns its id and stream key.
    /// </summary>
    /// <summary>Start, meter values, stop and (waited for) the pricing: versions 1-4 of a transaction stream.</summary>
    private async Task<(string Id, string Stream, int OcppId)> CompletedTransactionAsync(FakeChargePoint cp, string chargePointId, string idTag, int connectorId)
    {
        var at = Scenarios.SessionStart.AddHours(Interlocked.Increment(ref _sessions));
        var started = await cp.StartTransactionAsync(idTag, connectorId: connectorId, meterStart: 1000, at: at);
        await cp.MeterValuesAsync(started.TransactionId, 1500, started.StartedAt.AddMinutes(5), connectorId);
        await cp.StopTransactionAsync(started.TransactionId, 2000, started.StartedAt.AddMinutes(10));
        var id = StreamKeys.TransactionId(chargePointId, started.TransactionId);
        (await host.PricedStreamAsync(id)).Count.ShouldBe(4);
        return (id, StreamKeys.Transaction(id), started.TransactionId);
    }

    private Task<long> SequenceOfAsync(string stream, long version) =>
        server.ScalarAsSuperuserAsync<long>(host, "select seq_id from chargeledger.mt_events where stream_id = $1 and version = $2", stream, version);

    [Fact]
    public async Task every_kind_of_tampering_is_reported_at_its_first_broken_link()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var disposeCp = cp;
        var idTag = await host.IssuedIdTagAsync();
        var intact = await CompletedTransactionAsync(cp, credentials.Id, idTag, 1);
        var editedData = await CompletedTransactionAsync(cp, credentials.Id, idTag, 1);
        var editedHeader = await CompletedTransactionAsync(cp, credentials.Id, idTag, 1);
        var deletedMiddle = await CompletedTransactionAsync(cp, credentials.Id, idTag, 1);
        var deletedLast = await CompletedTransactionAsync(cp, credentials.Id, idTag, 1);
        var api = host.Api(Roles.Finance);
        foreach (var t in new[] { intact, editedData, editedHeader, deletedMiddle, deletedLast })
        {
            (await api.GetJsonAsync($"{Path}?transactionId={t.Id}")).GetProperty("intact").GetBoolean().ShouldBeTrue(t.Id);
        }

        var stoppedSequence = await SequenceOfAsync(editedData.Stream, 3);
        var headerSequence = await SequenceOfAsync(editedHeader.Stream, 2);
        var afterDeletedSequence = await SequenceOfAsync(deletedMiddle.Stream, 3);
        (await server.ExecuteAsSuperuserAsync(host,
            "update chargeledger.mt_events set data = jsonb_set(data, '{meterStopWh}', '1900') where stream_id = $1 and version = 3",
            editedData.Stream)).ShouldBe(1);
        (await server.ExecuteAsSuperuserAsync(host,
            "update chargeledger.mt_events set headers = jsonb_set(headers, '{previousHash}', to_jsonb(repeat('0', 64))) where stream_id = $1 and version = 2",
            editedHeader.Stream)).ShouldBe(1);
        (await server.ExecuteAsSuperuserAsync(host, "delete from chargeledger.mt_events where stream_id = $1 and version = 2", deletedMiddle.Stream)).ShouldBe(1);
        (await server.ExecuteAsSuperuserAsync(host, "delete from chargeledger.mt_events where stream_id = $1 and version = 4", deletedLast.Stream)).ShouldBe(1);

        var report = await api.GetJsonAsync(Path);

        report.GetProperty("intact").GetBoolean().ShouldBeFalse();
        report.GetProperty("broken").GetInt64().ShouldBeGreaterThanOrEqualTo(4);
        report.GetProperty("streams").GetInt64().ShouldBeGreaterThanOrEqualTo(5);
        report.GetProperty("events").GetInt64().ShouldBeGreaterThanOrEqualTo(18);
        var breaks = report.GetProperty("breaks").EnumerateArray().ToDictionary(b => b.GetProperty("stream").GetString()!, b => b);
        breaks.ShouldNotContainKey(intact.Stream);
        ShouldBreak(breaks[editedData.Stream], 3, stoppedSequence, ChainBreakReasons.HashMismatch);
        ShouldBreak(breaks[editedHeader.Stream], 2, headerSequence, ChainBreakReasons.PreviousHashMismatch);
        breaks[editedHeader.Stream].GetProperty("stored").GetString().ShouldBe(new string('0', 64));
        ShouldBreak(breaks[deletedMiddle.Stream], 2, afterDeletedSequence, ChainBreakReasons.MissingVersion);
        ShouldBreak(breaks[deletedLast.Stream], 4, null, ChainBreakReasons.MissingTail);
        breaks[deletedLast.Stream].GetProperty("stored").GetString().ShouldBe("last event is version 3");

        var one = await api.GetJsonAsync($"{Path}?transactionId={editedData.OcppId}");
        one.GetProperty("streams").GetInt64().ShouldBe(1);
        one.GetProperty("events").GetInt64().ShouldBe(4);
        ShouldBreak(one.GetProperty("breaks").EnumerateArray().ShouldHaveSingleItem(), 3, stoppedSequence, ChainBreakReasons.HashMismatch);
        (await api.GetJsonAsync($"{Path}?transactionId={intact.Id}")).GetProperty("broken").GetInt64().ShouldBe(0);
    }

    [Fact]
    public async Task a_full_run_pages_through_every_transaction_stream_exactly_once()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var disposeCp = cp;
        var idTag = await host.IssuedIdTagAsync();
        for (var i = 0; i < 5; i++)
        {
            await CompletedTransactionAsync(cp, credentials.Id, idTag, 1 + (i % 2));
        }

        var services = host.Services;
        var verifier = new AuditVerifier(services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<IDocumentStore>(), TimeProvider.System)
        {
            PageSize = 2,
        };
        var progress = new List<AuditProgress>();

        var report = await verifier.VerifyAsync(null, progress.Add, null, Ct);

        var streams = await server.ScalarAsSuperuserAsync<long>(host, "select count(*) from chargeledger.mt_streams where id like 'transaction:%'");
        var events = await server.ScalarAsSuperuserAsync<long>(host,
            "select count(*) from chargeledger.mt_events where stream_id like 'transaction:%'");
        report.Streams.ShouldBe(streams);
        report.Events.ShouldBe(events);
        progress.Count.ShouldBe((int)Math.Ceiling(streams / 2.0), "one progress report per page of 2 streams");
        progress.Select(p => p.StreamsChecked).ShouldBeInOrder();
        progress[^1].StreamsChecked.ShouldBe(streams);
        progress[^1].StreamsTotal.ShouldBe(streams);
    }

    [Fact]
    public async Task the_audit_verify_command_exits_non_zero_on_any_break()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var disposeCp = cp;
        var idTag = await host.IssuedIdTagAsync();
        var intact = await CompletedTransactionAsync(cp, credentials.Id, idTag, 1);
        var tampered = await CompletedTransactionAsync(cp, credentials.Id, idTag, 1);
        await server.ExecuteAsSuperuserAsync(host, "delete from chargeledger.mt_events where stream_id = $1 and version = 4", tampered.Stream);

        var good = await AuditCommandAsync("--transaction", intact.Id);
        var bad = await AuditCommandAsync("--transaction", tampered.Id);
        var all = await AuditCommandAsync();
        var unknown = await AuditCommandAsync("--transaction", $"{credentials.Id}:2146999999");

        good.ExitCode.ShouldBe(0, good.Describe());
        good.StdOut.ShouldContain("INTACT: 1 streams, 4 events checked, 0 broken", Case.Sensitive, good.Describe());
        bad.ExitCode.ShouldNotBe(0, bad.Describe());
        bad.StdOut.ShouldContain($"BROKEN {tampered.Stream} at version 4 (sequence -): {ChainBreakReasons.MissingTail}", Case.Sensitive, bad.Describe());
        all.ExitCode.ShouldNotBe(0, all.Describe());
        all.StdOut.ShouldContain($"BROKEN {tampered.Stream}", Case.Sensitive, all.Describe());
        all.StdOut.ShouldNotContain($"BROKEN {intact.Stream} ", Case.Sensitive, all.Describe());
        unknown.ExitCode.ShouldNotBe(0, unknown.Describe());
    }

    [Fact]
    public async Task audit_verify_is_for_finance()
    {
        (await host.Api(Roles.Operator).GetAsync(Path, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await host.Api(Roles.Developer).GetAsync(Path, Ct)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await host.Api(null).GetAsync(Path, Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await host.Api(Roles.Finance).GetAsync($"{Path}?transactionId=NO-CP:2146999999", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await host.Api(Roles.Admin).GetAsync($"{Path}?transactionId=2146999999", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    private static void ShouldBreak(JsonElement broken, long version, long? sequence, string reason)
    {
        broken.GetProperty("version").GetInt64().ShouldBe(version, broken.ToString());
        broken.GetProperty("reason").GetString().ShouldBe(reason, broken.ToString());
        if (sequence is null)
        {
            broken.GetProperty("sequence").ValueKind.ShouldBe(JsonValueKind.Null, broken.ToString());
        }
        else
        {
            broken.GetProperty("sequence").GetInt64().ShouldBe(sequence.Value, broken.ToString());
        }

        broken.GetProperty("expected").GetString().ShouldNotBe(broken.GetProperty("stored").GetString());
    }

    /// <summary>The built host run as the operator would: <c>dotnet ChargeLedger.Host.dll audit verify …</c>.</summary>
    private Task<ProcessResult> AuditCommandAsync(params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [System.IO.Path.Combine(AppContext.BaseDirectory, "ChargeLedger.Host.dll"), "audit", "verify", .. arguments],
            TimeSpan.FromMinutes(2), AppContext.BaseDirectory, new Dictionary<string, string>
            {
                ["ConnectionStrings__Marten"] = host.ConnectionString,
                ["ChargeLedger__MigrateOnStartup"] = "false",
                ["Logging__LogLevel__Default"] = "Warning",
            });
}
