using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.Alarms;
using ChargeLedger.ChargePoints;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Shared;
using ChargeLedger.Telemetry;
using Marten;

namespace ChargeLedger.IntegrationTests.Features.Alarms;

[CollectionDefinition]
public sealed class AlarmCollection : ICollectionFixture<LedgerHost>;

public sealed record AlarmDto(
    string Id,
    string Source,
    string Kind,
    string Severity,
    DateTimeOffset RaisedAt,
    DateTimeOffset? ClearedAt,
    DateTimeOffset? AcknowledgedAt,
    Dictionary<string, string> Detail,
    string? StationId,
    string? ChargePointId,
    int? ConnectorId,
    string? DeviceId,
    string? RuleId,
    string? ClearReason,
    string? AcknowledgedBy,
    string? AcknowledgementNote);

/// <summary>
/// Alarms through the real host (issue 4, CONTRACT.md GET /api/alarms, alarm rules): OCPP traffic from a fake charge
/// point and telemetry appended straight to the event store, evaluated by the alarm subscription and read through the
/// API once the daemon has caught up (LedgerHost.WaitForProjectionsAsync: bounded, never a fixed sleep).
/// </summary>
[Collection(typeof(AlarmCollection))]
public sealed class AlarmTests(LedgerHost host)
{
    private static readonly DateTimeOffset Day = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<List<AlarmDto>> AlarmsAsync(string query)
    {
        await host.WaitForProjectionsAsync();
        var json = await host.Api(Roles.Operator).GetJsonAsync("/api/alarms?" + query);
        return json.Deserialize<List<AlarmDto>>(JsonSerializerOptions.Web)!;
    }

    private static Task<JsonElement> FaultedAsync(FakeChargePoint cp, int connectorId, DateTimeOffset at, string errorCode = "GroundFailure") =>
        cp.CallAsync("StatusNotification", new
        {
            connectorId, errorCode, status = "Faulted", timestamp = at, info = "insulation", vendorId = "VendorX", vendorErrorCode = "E42",
        });

    [Fact]
    public async Task a_faulted_connector_raises_an_alarm_and_its_recovery_clears_it()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        await cp.StatusAsync(1, "Available", Day);
        await FaultedAsync(cp, 1, Day.AddMinutes(5));

        var active = await AlarmsAsync($"active=true&chargePointId={credentials.Id}");

        var alarm = active.ShouldHaveSingleItem();
        alarm.Kind.ShouldBe(AlarmKinds.ConnectorFaulted);
        alarm.Source.ShouldBe($"chargepoint:{credentials.Id}/connector:1");
        alarm.Severity.ShouldBe(AlarmSeverities.Major);
        alarm.RaisedAt.ShouldBe(Day.AddMinutes(5));
        alarm.StationId.ShouldBe(credentials.StationId);
        alarm.ConnectorId.ShouldBe(1);
        alarm.ClearedAt.ShouldBeNull();
        alarm.Detail.ShouldBe(new Dictionary<string, string>
        {
            ["errorCode"] = "GroundFailure", ["info"] = "insulation", ["vendorId"] = "VendorX", ["vendorErrorCode"] = "E42",
        }, ignoreOrder: true);
        (await host.Api(Roles.Operator).GetJsonAsync($"/api/alarms/{alarm.Id}")).GetProperty("kind").GetString().ShouldBe(AlarmKinds.ConnectorFaulted);

        await cp.StatusAsync(1, "Available", Day.AddMinutes(20));

        (await AlarmsAsync($"active=true&chargePointId={credentials.Id}")).ShouldBeEmpty();
        var cleared = (await AlarmsAsync($"active=false&chargePointId={credentials.Id}")).ShouldHaveSingleItem();
        cleared.Id.ShouldBe(alarm.Id);
        cleared.ClearedAt.ShouldBe(Day.AddMinutes(20));
        cleared.ClearReason.ShouldBe("status_Available");
    }

    [Fact]
    public async Task a_disconnect_raises_charge_point_offline_and_the_reconnect_clears_it()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await cp.DisposeAsync();
        await Eventually.ReturnsAsync(async () => (await host.StreamAsync(StreamKeys.ChargePoint(credentials.Id))).Select(e => e.Data).ToList(),
            events => events.OfType<ChargePointDisconnected>().Any(), "the disconnection is recorded");

        var offline = (await AlarmsAsync($"active=true&kind={AlarmKinds.ChargePointOffline}&chargePointId={credentials.Id}")).ShouldHaveSingleItem();
        offline.Source.ShouldBe($"chargepoint:{credentials.Id}");
        offline.StationId.ShouldBe(credentials.StationId);

        await using var again = await host.ConnectedAsync(credentials);
        await again.BootedAsync();

        (await AlarmsAsync($"active=true&chargePointId={credentials.Id}")).ShouldBeEmpty();
        var cleared = (await AlarmsAsync($"kind={AlarmKinds.ChargePointOffline}&chargePointId={credentials.Id}")).ShouldHaveSingleItem();
        cleared.Id.ShouldBe(offline.Id);
        cleared.ClearReason.ShouldBe("reconnected");
        cleared.ClearedAt.ShouldNotBeNull().ShouldBeGreaterThanOrEqualTo(offline.RaisedAt);
    }

    [Fact]
    public async Task three_faults_on_one_connector_within_a_day_raise_one_maintenance_alarm()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        foreach (var hour in new[] { 0, 6, 12, 18 })
        {
            await FaultedAsync(cp, 2, Day.AddHours(hour));
            await cp.StatusAsync(2, "Available", Day.AddHours(hour).AddMinutes(10));
        }

        var all = await AlarmsAsync($"chargePointId={credentials.Id}");

        all.Count(a => a.Kind == AlarmKinds.ConnectorFaulted).ShouldBe(4);
        all.ShouldAllBe(a => a.Kind != AlarmKinds.ConnectorFaulted || a.ClearedAt != null);
        var maintenance = all.Where(a => a.Kind == AlarmKinds.RepeatedFaults).ShouldHaveSingleItem();
        maintenance.RaisedAt.ShouldBe(Day.AddHours(12));
        maintenance.ClearedAt.ShouldBeNull();
        maintenance.Source.ShouldBe($"chargepoint:{credentials.Id}/connector:2");
        maintenance.Detail["faults"].ShouldBe("3");
        all.Select(a => a.RaisedAt).ShouldBeInOrder(SortDirection.Descending);
    }

    [Fact]
    public async Task an_operator_acknowledges_an_alarm_once()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        await FaultedAsync(cp, 1, Day);
        var alarm = (await AlarmsAsync($"active=true&chargePointId={credentials.Id}")).ShouldHaveSingleItem();
        var api = host.Api(Roles.Operator);

        var first = await (await api.PostAsJsonAsync($"/api/alarms/{alarm.Id}/acknowledge", new { note = "crew sent" }, Ct)).ReadJsonAsync();
        var second = await (await api.PostAsync($"/api/alarms/{alarm.Id}/acknowledge", null, Ct)).ReadJsonAsync();

        first.GetProperty("acknowledgedBy").GetString().ShouldBe(Roles.Operator);
        first.GetProperty("note").GetString().ShouldBe("crew sent");
        second.GetProperty("acknowledgedAt").GetDateTimeOffset().ShouldBe(first.GetProperty("acknowledgedAt").GetDateTimeOffset());
        (await host.StreamAsync(StreamKeys.Alarm(alarm.Id))).Select(e => e.Data).OfType<AlarmAcknowledged>().ShouldHaveSingleItem();
        var read = (await AlarmsAsync($"active=true&chargePointId={credentials.Id}")).ShouldHaveSingleItem();
        read.AcknowledgedAt.ShouldBe(first.GetProperty("acknowledgedAt").GetDateTimeOffset());
        read.AcknowledgedBy.ShouldBe(Roles.Operator);
        read.AcknowledgementNote.ShouldBe("crew sent");

        (await api.PostAsync("/api/alarms/connector_faulted.NO-SUCH.1.1/acknowledge", null, Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        using var malformed = new StringContent("{\"note\":", System.Text.Encoding.UTF8, "application/json");
        (await api.PostAsync($"/api/alarms/{alarm.Id}/acknowledge", malformed, Ct)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var tooLong = await (await api.PostAsJsonAsync($"/api/alarms/{alarm.Id}/acknowledge", new { note = new string('x', AcknowledgeAlarm.MaxNoteLength + 1) }, Ct))
            .ReadJsonAsync(HttpStatusCode.BadRequest);
        tooLong.GetProperty("errors").TryGetProperty("note", out var noteError).ShouldBeTrue(tooLong.ToString());
        noteError.ValueKind.ShouldBe(JsonValueKind.Array);
        (await api.GetAsync("/api/alarms/connector_faulted.NO-SUCH.1.1", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task alarms_and_rules_need_the_operator_role()
    {
        var rule = new { id = LedgerHost.NewId("R"), kind = "transformer", measurand = "Temperature", comparator = ">", threshold = 85, forSeconds = 60, severity = "major" };
        foreach (var (role, status) in new[] { ((string?)null, HttpStatusCode.Unauthorized), (Roles.Finance, HttpStatusCode.Forbidden), (Roles.Developer, HttpStatusCode.Forbidden) })
        {
            var api = host.Api(role);
            (await api.GetAsync("/api/alarms?active=true", Ct)).StatusCode.ShouldBe(status);
            (await api.GetAsync("/api/alarm-rules", Ct)).StatusCode.ShouldBe(status);
            (await api.PostAsJsonAsync("/api/alarm-rules", rule, Ct)).StatusCode.ShouldBe(status);
            (await api.PostAsync("/api/alarms/x/acknowledge", null, Ct)).StatusCode.ShouldBe(status);
        }

        (await host.Api(Roles.Operator).GetAsync("/api/alarms?active=true", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await host.Api(Roles.Admin).GetAsync("/api/alarms?active=true", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await host.Api(Roles.Admin).PostAsJsonAsync("/api/alarm-rules", rule, Ct)).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task a_bad_rule_is_a_400_naming_every_invalid_field()
    {
        var response = await host.Api(Roles.Operator).PostAsJsonAsync("/api/alarm-rules",
            new { id = "bad id/1", kind = "toaster", measurand = "", comparator = "=>", forSeconds = -1, severity = "urgent" }, Ct);

        var problem = await response.ReadJsonAsync(HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "id", "kind", "measurand", "comparator", "threshold", "forSeconds", "severity" })
        {
            errors.TryGetProperty(field, out _).ShouldBeTrue($"{field} in {problem}");
        }

        (await host.Api(Roles.Operator).GetAsync("/api/alarms?kind=nonsense", Ct)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task a_rule_is_created_once_listed_and_changed_with_a_new_version()
    {
        var id = LedgerHost.NewId("R");
        var api = host.Api(Roles.Operator);
        var rule = new { id, kind = "transformer", measurand = "Temperature", comparator = ">", threshold = 85, forSeconds = 60, severity = "major" };

        var created = await (await api.PostAsJsonAsync("/api/alarm-rules", rule, Ct)).ReadJsonAsync(HttpStatusCode.Created);
        await (await api.PostAsJsonAsync("/api/alarm-rules", rule, Ct)).ReadJsonAsync(HttpStatusCode.OK);
        await (await api.PostAsJsonAsync("/api/alarm-rules", rule with { threshold = 90 }, Ct)).ReadJsonAsync(HttpStatusCode.Conflict);
        var changed = await (await api.PutAsJsonAsync($"/api/alarm-rules/{id}", rule with { threshold = 90 }, Ct)).ReadJsonAsync();
        await (await api.PutAsJsonAsync($"/api/alarm-rules/{id}", rule with { measurand = "Humidity" }, Ct)).ReadJsonAsync(HttpStatusCode.Conflict);
        var unknown = LedgerHost.NewId("R");
        await (await api.PutAsJsonAsync($"/api/alarm-rules/{unknown}", rule with { id = unknown }, Ct)).ReadJsonAsync(HttpStatusCode.NotFound);
        await (await api.PutAsJsonAsync($"/api/alarm-rules/{unknown}", rule, Ct)).ReadJsonAsync(HttpStatusCode.BadRequest);

        created.GetProperty("version").GetInt32().ShouldBe(1);
        created.GetProperty("definedBy").GetString().ShouldBe(Roles.Operator);
        changed.GetProperty("version").GetInt32().ShouldBe(2);
        var listed = (await api.GetJsonAsync("/api/alarm-rules")).EnumerateArray().Single(r => r.GetProperty("id").GetString() == id);
        listed.GetProperty("threshold").GetDecimal().ShouldBe(90m);
        listed.GetProperty("version").GetInt32().ShouldBe(2);
    }

    [Fact]
    public async Task a_threshold_held_for_the_rules_duration_raises_an_alarm_and_the_first_sample_below_clears_it()
    {
        // A measurand of its own, so rules other tests define never watch this device.
        var measurand = LedgerHost.NewId("Temperature");
        var ruleId = LedgerHost.NewId("R");
        var stationId = LedgerHost.NewId("ST");
        var deviceId = LedgerHost.NewId("TR");
        (await host.Api(Roles.Operator).PostAsJsonAsync("/api/alarm-rules",
            new { id = ruleId, kind = "transformer", measurand, comparator = ">", threshold = 85, forSeconds = 60, severity = "critical" }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.Created);

        await RecordAsync(deviceId, stationId, measurand, (0, 86m), (30, 90m), (45, null));
        (await AlarmsAsync($"stationId={stationId}")).ShouldBeEmpty();

        await RecordAsync(deviceId, stationId, measurand, (60, 91m));
        var raised = (await AlarmsAsync($"active=true&stationId={stationId}")).ShouldHaveSingleItem();
        raised.Kind.ShouldBe(AlarmKinds.TelemetryThreshold);
        raised.Severity.ShouldBe(AlarmSeverities.Critical);
        raised.Source.ShouldBe($"device:{deviceId}");
        raised.RuleId.ShouldBe(ruleId);
        raised.RaisedAt.ShouldBe(Day.AddSeconds(60));
        raised.Detail["value"].ShouldBe("91");

        await RecordAsync(deviceId, stationId, measurand, (70, 80m));
        (await AlarmsAsync($"active=true&stationId={stationId}")).ShouldBeEmpty();
        var cleared = (await AlarmsAsync($"stationId={stationId}")).ShouldHaveSingleItem();
        cleared.ClearedAt.ShouldBe(Day.AddSeconds(70));
        cleared.ClearReason.ShouldBe("condition_ended");
    }

    [Fact]
    public async Task alarms_are_filtered_by_kind_and_limited_newest_first()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        await FaultedAsync(cp, 1, Day.AddMinutes(1));
        await FaultedAsync(cp, 2, Day.AddMinutes(2));
        await FaultedAsync(cp, 3, Day.AddMinutes(3));

        var newest = await AlarmsAsync($"chargePointId={credentials.Id}&kind={AlarmKinds.ConnectorFaulted}&limit=2");

        newest.Select(a => a.ConnectorId).ShouldBe([3, 2]);
        (await AlarmsAsync($"chargePointId={credentials.Id}&kind={AlarmKinds.ChargePointOffline}")).ShouldBeEmpty();
        (await host.Api(Roles.Operator).GetAsync("/api/alarms?limit=0", Ct)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task the_alarm_api_is_in_the_openapi_document()
    {
        var paths = (await host.Api(null).GetJsonAsync("/openapi/v1.json")).GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();

        paths.ShouldContain("/api/alarms");
        paths.ShouldContain("/api/alarms/{id}");
        paths.ShouldContain("/api/alarms/{id}/acknowledge");
        paths.ShouldContain("/api/alarm-rules");
        paths.ShouldContain("/api/alarm-rules/{id}");
    }

    /// <summary>Same events, same alarms: the alarm streams in the store equal a fresh evaluation of every recorded event.</summary>
    [Fact]
    public async Task the_stored_alarms_are_what_evaluating_the_recorded_events_again_gives()
    {
        var (cp, _) = await host.BootedChargePointAsync();
        await using (cp)
        {
            await FaultedAsync(cp, 1, Day);
            await cp.StatusAsync(1, "Available", Day.AddMinutes(1));
        }

        await host.WaitForProjectionsAsync();

        await using var session = host.Store.QuerySession();
        var names = AlarmEvaluator.EventTypes.Select(t => LedgerRegistration.EventTypes.Single(e => e.Type == t).Name).ToArray();
        var recorded = await session.Events.QueryAllRawEvents().Where(e => e.EventTypeName.IsOneOf(names)).OrderBy(e => e.Sequence).ToListAsync(Ct);
        var replayed = AlarmEvaluator.Evaluate(AlarmState.Empty, recorded.Select(e => new AlarmTrigger(e.Sequence, e.Data))).Changes;
        var stored = await session.Events.QueryAllRawEvents()
            .Where(e => e.EventTypeName == "alarm_raised" || e.EventTypeName == "alarm_cleared").OrderBy(e => e.Sequence).ToListAsync(Ct);

        replayed.ShouldNotBeEmpty();
        Streams(stored.Select(e => (e.StreamKey!, e.Data))).ShouldBe(Streams(replayed.Select(c => (StreamKeys.Alarm(c.AlarmId), c.Event))));
    }

    /// <summary>Each alarm stream's events as JSON, by stream; the order across streams is not part of the contract.</summary>
    private static string Streams(IEnumerable<(string Stream, object Event)> events) =>
        string.Join('\n', events.GroupBy(e => e.Stream, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key + " " + string.Join(" ", g.Select(e => Canonical(e.Event)))));

    /// <summary>jsonb keeps object keys in its own order, so the detail read back is sorted before comparing.</summary>
    private static string Canonical(object alarmEvent) => alarmEvent is AlarmRaised raised
        ? JsonSerializer.Serialize(raised with { Detail = new SortedDictionary<string, string>(raised.Detail.ToDictionary(), StringComparer.Ordinal) })
        : JsonSerializer.Serialize(alarmEvent, alarmEvent.GetType());

    private async Task RecordAsync(string deviceId, string stationId, string measurand, params (int Seconds, decimal? Value)[] readings)
    {
        await using var session = host.Store.LightweightSession();
        foreach (var (seconds, value) in readings)
        {
            session.Events.Append(StreamKeys.Device(deviceId), new TelemetryRecorded(deviceId, stationId, "GW-1", "transformer", Day.AddSeconds(seconds),
                [new TelemetrySample("t1", measurand, "Cel", value, value is null ? 2014 : null)]));
        }

        await session.SaveChangesAsync(Ct);
    }
}
