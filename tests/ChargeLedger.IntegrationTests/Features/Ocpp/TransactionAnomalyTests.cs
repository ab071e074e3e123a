using ChargeLedger.Access;
using ChargeLedger.ChargePoints;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Shared;
using ChargeLedger.Transactions;

namespace ChargeLedger.IntegrationTests.Features.Ocpp;

[CollectionDefinition]
public sealed class TransactionAnomalyCollection : ICollectionFixture<LedgerHost>;

/// <summary>
/// RELIABILITY C2, C3, C4, C8, C11: business anomalies are acknowledged with a CALLRESULT (a CALLERROR would make the
/// charge point retry forever) and recorded as events for reconciliation.
/// </summary>
[Collection(typeof(TransactionAnomalyCollection))]
public sealed class TransactionAnomalyTests(LedgerHost host)
{
    [Fact]
    public async Task a_duplicate_stop_is_acknowledged_and_recorded_once_with_a_duplicate_stop_anomaly()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        var idTag = await host.IssuedIdTagAsync();
        var started = await cp.StartTransactionAsync(idTag, meterStart: 1000);
        var stoppedAt = started.StartedAt.AddMinutes(30);

        await cp.StopTransactionAsync(started.TransactionId, 3000, stoppedAt);
        await cp.StopTransactionAsync(started.TransactionId, 3000, stoppedAt);

        var events = await host.StreamAsync(StreamKeys.Transaction(StreamKeys.TransactionId(credentials.Id, started.TransactionId)));
        events.Count(e => e.Data is TransactionStopped).ShouldBe(1);
        events.Select(e => e.Data).OfType<TransactionAnomalyDetected>().ShouldHaveSingleItem().Kind.ShouldBe(TransactionAnomaly.DuplicateStop);
        await host.WaitForProjectionsAsync();
        var view = await host.Api(Roles.Finance).GetJsonAsync($"/api/transactions/{started.TransactionId}");
        view.GetProperty("status").GetString().ShouldBe("Completed");
        view.GetProperty("energyWh").GetInt64().ShouldBe(2000);
    }

    [Fact]
    public async Task a_stop_after_a_reconnect_for_an_already_closed_transaction_is_acknowledged_as_a_duplicate()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        var idTag = await host.IssuedIdTagAsync();
        StartedTransaction started;
        await using (cp)
        {
            started = await cp.StartTransactionAsync(idTag);
            await cp.StopTransactionAsync(started.TransactionId, 2000, started.StartedAt.AddMinutes(5));
        }

        await using var again = await host.ConnectedAsync(credentials);
        await again.StopTransactionAsync(started.TransactionId, 2500, started.StartedAt.AddMinutes(6));

        var events = await host.StreamAsync(StreamKeys.Transaction(StreamKeys.TransactionId(credentials.Id, started.TransactionId)));
        events.Select(e => e.Data).OfType<TransactionStopped>().ShouldHaveSingleItem().MeterStopWh.ShouldBe(2000);
        events.Select(e => e.Data).OfType<TransactionAnomalyDetected>().ShouldHaveSingleItem().Kind.ShouldBe(TransactionAnomaly.DuplicateStop);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(2147000000)]
    public async Task a_stop_for_an_unknown_transaction_is_acknowledged_and_reported_on_the_charge_point_stream(int transactionId)
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;

        var conf = await cp.StopTransactionAsync(transactionId, 5000, Scenarios.SessionStart.AddHours(1), idTag: "SOMEONE");

        conf.GetProperty("idTagInfo").GetProperty("status").GetString().ShouldBe("Invalid");
        var reported = (await host.StreamAsync(StreamKeys.ChargePoint(credentials.Id))).Select(e => e.Data)
            .OfType<UnknownTransactionReported>().ShouldHaveSingleItem();
        reported.Action.ShouldBe("StopTransaction");
        reported.OcppTransactionId.ShouldBe(transactionId);
        reported.MeterStopWh.ShouldBe(5000);
        await host.WaitForProjectionsAsync();
        (await host.Api(Roles.Finance).GetJsonAsync($"/api/transactions?chargePointId={credentials.Id}")).GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task a_stop_naming_another_stations_transaction_is_reported_and_leaves_that_transaction_open()
    {
        var (victim, victimCredentials) = await host.BootedChargePointAsync();
        await using var _ = victim;
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var __ = cp;
        var started = await victim.StartTransactionAsync(await host.IssuedIdTagAsync());

        await cp.StopTransactionAsync(started.TransactionId, 9999, started.StartedAt.AddMinutes(1));

        (await host.StreamAsync(StreamKeys.ChargePoint(credentials.Id))).Select(e => e.Data)
            .OfType<UnknownTransactionReported>().ShouldHaveSingleItem().OcppTransactionId.ShouldBe(started.TransactionId);
        (await host.StreamAsync(StreamKeys.Transaction(StreamKeys.TransactionId(victimCredentials.Id, started.TransactionId))))
            .ShouldHaveSingleItem().Data.ShouldBeOfType<TransactionStarted>();
        await host.WaitForProjectionsAsync();
        (await host.Api(Roles.Finance).GetJsonAsync($"/api/transactions/{started.TransactionId}"))
            .GetProperty("status").GetString().ShouldBe("Active");
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(987654321)]
    public async Task meter_values_for_an_unknown_transaction_are_acknowledged_and_kept_on_the_charge_point_stream(int transactionId)
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;

        await cp.MeterValuesAsync(transactionId, 4242, Scenarios.SessionStart);

        var reported = (await host.StreamAsync(StreamKeys.ChargePoint(credentials.Id))).Select(e => e.Data)
            .OfType<UnknownTransactionReported>().ShouldHaveSingleItem();
        reported.Action.ShouldBe("MeterValues");
        reported.OcppTransactionId.ShouldBe(transactionId);
        reported.Samples.ShouldContain(s => s.Value == "4242");
    }

    [Fact]
    public async Task meter_values_without_a_transaction_are_acknowledged_and_kept_as_station_level_readings()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;

        await cp.MeterValuesAsync(null, 777000, Scenarios.SessionStart, connectorId: 0);

        var recorded = (await host.StreamAsync(StreamKeys.ChargePoint(credentials.Id))).Select(e => e.Data)
            .OfType<ChargePointMeterValuesRecorded>().ShouldHaveSingleItem();
        recorded.ConnectorId.ShouldBe(0);
        recorded.Samples.ShouldHaveSingleItem().Value.ShouldBe("777000");
    }

    [Theory]
    [InlineData(false, "Invalid")]
    [InlineData(true, "Blocked")]
    public async Task a_start_with_an_unknown_or_blocked_id_tag_is_answered_with_that_status_and_a_real_recorded_transaction(
        bool issuedButBlocked, string expectedStatus)
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        var idTag = issuedButBlocked ? await host.IssuedIdTagAsync(blocked: true) : "UNKNOWN" + Guid.NewGuid().ToString("N")[..8];

        var started = await cp.StartTransactionAsync(idTag);

        started.IdTagStatus.ShouldBe(expectedStatus);
        started.TransactionId.ShouldBePositive();
        var recorded = (await host.StreamAsync(StreamKeys.Transaction(StreamKeys.TransactionId(credentials.Id, started.TransactionId))))
            .ShouldHaveSingleItem().Data.ShouldBeOfType<TransactionStarted>();
        recorded.IdTag.ShouldBe(idTag);
        recorded.IdTagStatus.ShouldBe(expectedStatus);
        await host.WaitForProjectionsAsync();
        (await host.Api(Roles.Operator).GetJsonAsync($"/api/transactions/{started.TransactionId}"))
            .GetProperty("status").GetString().ShouldBe("Active");
    }

    /// <summary>C8: 50 charge points x 2 connectors x 2 starts each, sent with bounded parallelism on one host.</summary>
    [Fact]
    public async Task parallel_starts_across_many_charge_points_get_distinct_positive_ids_that_are_stable_on_replay()
    {
        const int ChargePoints = 50;
        var stationId = await host.RegisteredStationAsync();
        var idTag = await host.IssuedIdTagAsync();
        var credentials = new List<ChargePointCredentials>();
        for (var i = 0; i < ChargePoints; i++)
        {
            credentials.Add(await host.RegisteredChargePointAsync(stationId));
        }

        var starts = (from c in credentials
                      from connector in Enumerable.Range(1, 2)
                      from k in Enumerable.Range(0, 2)
                      select (Credentials: c, Connector: connector, MeterStart: 1000L * k, At: Scenarios.SessionStart.AddMinutes(k))).ToList();
        starts.Count.ShouldBe(200);

        var ids = new System.Collections.Concurrent.ConcurrentDictionary<(string, int, long), (int First, int Replay)>();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = TestContext.Current.CancellationToken };
        await Parallel.ForEachAsync(starts.GroupBy(s => s.Credentials), parallel, async (group, _) =>
        {
            await using var cp = await host.ConnectedAsync(group.Key);
            // Each charge point pipelines its four starts; the gateway answers them in order.
            var first = await Task.WhenAll(group.Select(s => cp.StartTransactionAsync(idTag, s.Connector, s.MeterStart, s.At)));
            var replay = await Task.WhenAll(group.Select(s => cp.StartTransactionAsync(idTag, s.Connector, s.MeterStart, s.At)));
            foreach (var (s, i) in group.Select((s, i) => (s, i)))
            {
                ids[(s.Credentials.Id, s.Connector, s.MeterStart)] = (first[i].TransactionId, replay[i].TransactionId);
            }
        });

        ids.Count.ShouldBe(200);
        ids.Values.ShouldAllBe(v => v.First > 0);
        ids.Values.Select(v => v.First).Distinct().Count().ShouldBe(200);
        ids.Values.ShouldAllBe(v => v.Replay == v.First);
    }
}
