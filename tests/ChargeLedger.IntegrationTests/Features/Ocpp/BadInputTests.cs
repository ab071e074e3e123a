using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using ChargeLedger.ChargePoints;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Ocpp.Framing;
using ChargeLedger.Ocpp.Gateway;
using ChargeLedger.Shared;
using ChargeLedger.Transactions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChargeLedger.IntegrationTests.Features.Ocpp;

[CollectionDefinition]
public sealed class BadInputCollection : ICollectionFixture<LedgerHost>;

/// <summary>RELIABILITY B1-B5, B7, B8: every bad input gets a defined CALLERROR or close code, never a crash or an event.</summary>
[Collection(typeof(BadInputCollection))]
public sealed class BadInputTests(LedgerHost host)
{
    private static readonly TimeSpan Wait = FakeChargePoint.DefaultTimeout;

    private OcppOptions Options => host.Services.GetRequiredService<IOptions<OcppOptions>>().Value;

    public static TheoryData<string, string, string?, string?> GarbageFrames => new()
    {
        // name, frame, message id a CALLERROR must carry (null: ignored), expected code
        { "not JSON", "hello charge point", null, null },
        { "JSON object", """{"messageTypeId":2}""", null, null },
        { "empty array", "[]", null, null },
        { "type only", "[2]", null, null },
        { "numeric message id", """[2,123,"Heartbeat",{}]""", null, null },
        { "message id over 36 chars", $$"""[2,"{{new string('i', 37)}}","Heartbeat",{}]""", null, null },
        { "empty message id", """[2,"","Heartbeat",{}]""", null, null },
        { "message type 7", """[7,"type-7","Heartbeat",{}]""", "type-7", OcppErrorCodes.FormationViolation },
        { "type as string", """["2","str-type","Heartbeat",{}]""", null, null },
        { "CALL without action", """[2,"no-action"]""", "no-action", OcppErrorCodes.ProtocolError },
        { "CALL without payload", """[2,"no-payload","Heartbeat"]""", "no-payload", OcppErrorCodes.ProtocolError },
        { "payload is an array", """[2,"array-payload","Heartbeat",[]]""", "array-payload", OcppErrorCodes.FormationViolation },
        { "action is a number", """[2,"num-action",5,{}]""", "num-action", OcppErrorCodes.FormationViolation },
        { "five elements", """[2,"five","Heartbeat",{},{}]""", "five", OcppErrorCodes.FormationViolation },
        { "truncated JSON", """[2,"truncated","Heartbeat",{"a":""", "truncated", OcppErrorCodes.FormationViolation },
        { "malformed CALLRESULT", """[3,"stray-result"]""", null, null },
        { "stray CALLRESULT", """[3,"stray-result-2",{}]""", null, null },
        { "stray CALLERROR", """[4,"stray-error","GenericError","x",{}]""", null, null },
    };

    [Theory]
    [MemberData(nameof(GarbageFrames))]
    public async Task a_garbage_frame_gets_a_call_error_when_it_has_a_message_id_or_is_ignored_and_the_socket_stays_up(
        string _, string frame, string? answeredId, string? expectedCode)
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var __ = cp;
        var version = await host.StreamVersionAsync(StreamKeys.ChargePoint(credentials.Id));

        await cp.SendRawAsync(frame);
        // The gateway answers a bad frame from its receive loop before it reads the next one, so anything it sends
        // about the garbage arrives before this Heartbeat's CALLRESULT.
        await cp.CallAsync("Heartbeat", new { });

        if (answeredId is null)
        {
            cp.TryReceiveRaw(out var unexpected).ShouldBeFalse($"no answer expected, got {unexpected}");
        }
        else
        {
            cp.TryReceiveRaw(out var answer).ShouldBeTrue();
            var error = JsonDocument.Parse(answer!).RootElement;
            error[0].GetInt32().ShouldBe(4);
            error[1].GetString().ShouldBe(answeredId);
            error[2].GetString().ShouldBe(expectedCode);
            error[4].ValueKind.ShouldBe(JsonValueKind.Object);
        }

        cp.IsOpen.ShouldBeTrue();
        (await host.StreamVersionAsync(StreamKeys.ChargePoint(credentials.Id))).ShouldBe(version);
    }

    /// <summary>
    /// RFC 6455 §8.1 obliges the endpoint to fail the connection on a text frame that is not UTF-8, and ASP.NET Core's
    /// WebSocket does so (1007) before the gateway sees the frame, so OcppJ's own UTF-8 check is a second line only.
    /// The charge point can reconnect at once.
    /// </summary>
    [Fact]
    public async Task invalid_utf8_in_a_text_frame_closes_the_socket_with_1007_and_the_charge_point_can_reconnect()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;

        await cp.SendRawBytesAsync([0x5B, 0x32, 0x2C, 0x22, 0x80, 0x22, 0x5D]);

        (await cp.WaitForCloseAsync(Wait)).ShouldBe(WebSocketCloseStatus.InvalidPayloadData);
        await using var again = await host.ConnectedAsync(credentials);
        await again.CallAsync("Heartbeat", new { });
    }

    [Fact]
    public async Task consecutive_garbage_frames_up_to_the_limit_close_the_socket_with_1002()
    {
        var limit = Options.MaxConsecutiveBadFrames;
        var (cp, _) = await host.BootedChargePointAsync();
        await using var __ = cp;

        // A valid message in between resets the count.
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < limit - 1; i++)
            {
                await cp.SendRawAsync("garbage");
            }

            await cp.CallAsync("Heartbeat", new { });
        }

        for (var i = 0; i < limit; i++)
        {
            await cp.SendRawAsync("garbage");
        }

        (await cp.WaitForCloseAsync(Wait)).ShouldBe(WebSocketCloseStatus.ProtocolError);
    }

    [Fact]
    public async Task a_binary_frame_closes_the_socket_with_1003()
    {
        var (cp, _) = await host.BootedChargePointAsync();
        await using var __ = cp;

        await cp.SendBinaryAsync(Encoding.UTF8.GetBytes("""[2,"bin","Heartbeat",{}]"""));

        (await cp.WaitForCloseAsync(Wait)).ShouldBe(WebSocketCloseStatus.InvalidMessageType);
    }

    public static TheoryData<string, string, string> SchemaViolations => new()
    {
        { "BootNotification", """{"chargePointVendor":"VendorX"}""", OcppErrorCodes.OccurenceConstraintViolation },
        { "StartTransaction", """{"connectorId":"1","idTag":"A","meterStart":0,"timestamp":"2026-03-02T09:00:00Z"}""", OcppErrorCodes.TypeConstraintViolation },
        { "StartTransaction", """{"connectorId":1,"idTag":"A","meterStart":0,"timestamp":"2026-03-02T09:00:00Z","extra":1}""", OcppErrorCodes.FormationViolation },
        { "StartTransaction", """{"connectorId":1,"idTag":"ABCDEFGHIJKLMNOPQRSTU","meterStart":0,"timestamp":"2026-03-02T09:00:00Z"}""", OcppErrorCodes.PropertyConstraintViolation },
        { "StartTransaction", """{"connectorId":1,"idTag":"A","meterStart":0,"timestamp":"2026-02-30T09:00:00Z"}""", OcppErrorCodes.PropertyConstraintViolation },
        { "StartTransaction", """{"connectorId":1,"idTag":"A","meterStart":0,"timestamp":"yesterday"}""", OcppErrorCodes.PropertyConstraintViolation },
        { "StatusNotification", """{"connectorId":1,"errorCode":"NoError","status":"Sleeping"}""", OcppErrorCodes.PropertyConstraintViolation },
        { "StatusNotification", """{"connectorId":1,"errorCode":"NoError"}""", OcppErrorCodes.OccurenceConstraintViolation },
        { "StopTransaction", """{"meterStop":1,"timestamp":"2026-03-02T09:00:00Z","transactionId":"42"}""", OcppErrorCodes.TypeConstraintViolation },
        { "StopTransaction", """{"meterStop":1,"timestamp":"2026-03-02T09:00:00Z","transactionId":42,"reason":"Unplugged"}""", OcppErrorCodes.PropertyConstraintViolation },
        { "MeterValues", """{"connectorId":1,"meterValue":[{"timestamp":"2026-03-02 09:00:00","sampledValue":[{"value":"1"}]}]}""", OcppErrorCodes.PropertyConstraintViolation },
        { "MeterValues", """{"connectorId":1,"meterValue":[{"timestamp":"2026-03-02T09:00:00Z","sampledValue":[{"value":1}]}]}""", OcppErrorCodes.TypeConstraintViolation },
        { "Authorize", """{"idTag":"ABCDEFGHIJKLMNOPQRSTU"}""", OcppErrorCodes.PropertyConstraintViolation },
        { "Heartbeat", """{"uptime":5}""", OcppErrorCodes.FormationViolation },
        { "DataTransfer", """{"messageId":"Ping"}""", OcppErrorCodes.OccurenceConstraintViolation },
    };

    [Theory]
    [MemberData(nameof(SchemaViolations))]
    public async Task a_schema_violation_gets_the_mapped_call_error_and_appends_no_event(string action, string payload, string expectedCode)
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        var version = await host.StreamVersionAsync(StreamKeys.ChargePoint(credentials.Id));

        var error = await Should.ThrowAsync<OcppCallErrorException>(() => cp.CallJsonAsync(action, payload));

        error.ErrorCode.ShouldBe(expectedCode);
        await cp.CallAsync("Heartbeat", new { });
        (await host.StreamVersionAsync(StreamKeys.ChargePoint(credentials.Id))).ShouldBe(version);
        await host.WaitForProjectionsAsync();
        (await host.Api(Access.Roles.Operator).GetJsonAsync($"/api/transactions?chargePointId={credentials.Id}")).GetArrayLength().ShouldBe(0);
    }

    [Theory]
    [InlineData("FooBar", OcppErrorCodes.NotImplemented)]
    [InlineData("bootnotification", OcppErrorCodes.NotImplemented)]
    [InlineData("RemoteStartTransaction", OcppErrorCodes.NotSupported)]
    [InlineData("SecurityEventNotification", OcppErrorCodes.NotSupported)]
    public async Task an_action_a_charge_point_may_not_send_gets_not_implemented_or_not_supported(string action, string expectedCode)
    {
        var (cp, _) = await host.BootedChargePointAsync();
        await using var __ = cp;

        var error = await Should.ThrowAsync<OcppCallErrorException>(() => cp.CallAsync(action, new { }));

        error.ErrorCode.ShouldBe(expectedCode);
        cp.IsOpen.ShouldBeTrue();
    }

    /// <summary>
    /// TransactionEvent exists only in OCPP 2.0.1; the 1.6 dispatcher does not know the name at all, so OCPP-J 1.6 §4.2.3
    /// NotImplemented ("Requested Action is not known by receiver") is what it answers.
    /// </summary>
    [Fact]
    public async Task an_ocpp201_only_action_on_a_16_socket_gets_not_implemented()
    {
        var (cp, _) = await host.BootedChargePointAsync();
        await using var __ = cp;

        var error = await Should.ThrowAsync<OcppCallErrorException>(() => cp.CallAsync("TransactionEvent",
            new { eventType = "Started", timestamp = Scenarios.SessionStart, triggerReason = "Authorized", seqNo = 0, transactionInfo = new { transactionId = "tx-1" } }));

        error.ErrorCode.ShouldBeOneOf(OcppErrorCodes.NotImplemented, OcppErrorCodes.NotSupported);
        error.ErrorCode.ShouldBe(OcppErrorCodes.NotImplemented);
    }

    [Fact]
    public async Task a_message_of_exactly_the_limit_is_answered()
    {
        var (cp, _) = await host.BootedChargePointAsync();
        await using var __ = cp;

        var frame = DataTransferFrame("at-limit", Options.MaxMessageBytes);
        await cp.SendRawAsync(frame);

        var answer = JsonDocument.Parse((await cp.ReceiveRawAsync(Wait))!).RootElement;
        answer[0].GetInt32().ShouldBe(3, answer.ToString()[..Math.Min(300, answer.ToString().Length)]);
        answer[2].GetProperty("status").GetString().ShouldNotBeNull();
        answer[1].GetString().ShouldBe("at-limit");
    }

    [Fact]
    public async Task a_message_one_byte_over_the_limit_closes_the_socket_with_1009_and_other_charge_points_still_connect()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;

        await cp.SendRawAsync(DataTransferFrame("over-limit", Options.MaxMessageBytes + 1));

        (await cp.WaitForCloseAsync(Wait)).ShouldBe(WebSocketCloseStatus.MessageTooBig);
        var (other, _) = await host.BootedChargePointAsync();
        await using (other)
        {
            await other.CallAsync("Heartbeat", new { });
        }

        await using var again = await host.ConnectedAsync(credentials);
        await again.CallAsync("Heartbeat", new { });
    }

    /// <summary>
    /// B7(a): ChargePointConnection.RouteAsync keeps the ids of CALLs queued or being processed; a CALL reusing one of
    /// them is answered at once with ProtocolError while the first is still answered normally. Three StatusNotifications
    /// queued ahead keep the first copy in flight while the second arrives.
    /// </summary>
    [Fact]
    public async Task the_same_message_id_while_the_first_call_is_in_flight_gets_a_protocol_error_and_the_first_is_answered()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        var idTag = await host.IssuedIdTagAsync();
        var start = $$"""[2,"dup-in-flight","StartTransaction",{"connectorId":1,"idTag":"{{idTag}}","meterStart":100,"timestamp":"2026-03-02T09:00:00Z"}]""";

        var ahead = new List<Task> { cp.StatusAsync(1, "Available"), cp.StatusAsync(1, "Preparing"), cp.StatusAsync(1, "Charging") };
        await cp.SendRawAsync(start);
        await cp.SendRawAsync(start);
        await Task.WhenAll(ahead);

        var answers = new List<JsonElement>();
        for (var i = 0; i < 2; i++)
        {
            answers.Add(JsonDocument.Parse((await cp.ReceiveRawAsync(Wait))!).RootElement);
        }

        answers.ShouldAllBe(a => a[1].GetString() == "dup-in-flight");
        var error = answers.Where(a => a[0].GetInt32() == 4).ShouldHaveSingleItem();
        error[2].GetString().ShouldBe(OcppErrorCodes.ProtocolError);
        var result = answers.Where(a => a[0].GetInt32() == 3).ShouldHaveSingleItem();
        result[2].GetProperty("transactionId").GetInt32().ShouldBePositive();

        await host.WaitForProjectionsAsync();
        (await host.Api(Access.Roles.Operator).GetJsonAsync($"/api/transactions?chargePointId={credentials.Id}")).GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public async Task a_repeated_start_transaction_returns_the_same_transaction_id_and_creates_one_transaction()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        var idTag = await host.IssuedIdTagAsync();
        int first, sameId, newId, afterReconnect;
        await using (cp)
        {
            first = (await cp.StartTransactionAsync(idTag, messageId: "start-1")).TransactionId;
            sameId = (await cp.StartTransactionAsync(idTag, messageId: "start-1")).TransactionId;
            newId = (await cp.StartTransactionAsync(idTag, messageId: "start-2")).TransactionId;
        }

        await using (var again = await host.ConnectedAsync(credentials))
        {
            afterReconnect = (await again.StartTransactionAsync(idTag, messageId: "start-3")).TransactionId;
        }

        first.ShouldBePositive();
        new[] { sameId, newId, afterReconnect }.ShouldAllBe(id => id == first);
        var stream = await host.StreamAsync(StreamKeys.Transaction(StreamKeys.TransactionId(credentials.Id, first)));
        stream.ShouldHaveSingleItem().Data.ShouldBeOfType<TransactionStarted>();
        await host.WaitForProjectionsAsync();
        (await host.Api(Access.Roles.Operator).GetJsonAsync($"/api/transactions?chargePointId={credentials.Id}")).GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public async Task a_start_recorded_elsewhere_after_the_ledger_stopped_asking_the_store_is_still_answered_with_its_id()
    {
        // The ledger answers starts from memory once it has committed one itself (no read on the hot path). A start
        // recorded meanwhile by another node (here: written straight into the store) must still not open a second
        // transaction: its start key's insert conflicts, the ledger reloads and the retry asks the store.
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        var idTag = await host.IssuedIdTagAsync();
        await cp.CallAsync("Authorize", new { idTag });
        var own = await cp.StartTransactionAsync(idTag, connectorId: 1, at: Scenarios.SessionStart);
        own.IdTagStatus.ShouldBe("Accepted");

        var elsewhere = Scenarios.SessionStart.AddMinutes(5);
        const int OtherNodesId = 2_000_000_001;
        await using (var session = host.Store.LightweightSession())
        {
            session.Insert(new Ledger.TransactionStartKey
            {
                Id = Ledger.TransactionStartKey.For(credentials.Id, 2, idTag, elsewhere, 1000),
                TransactionId = StreamKeys.TransactionId(credentials.Id, OtherNodesId), OcppTransactionId = OtherNodesId, IdTagStatus = "Accepted",
            });
            await session.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        await cp.CallAsync("Authorize", new { idTag });
        var replayed = await cp.StartTransactionAsync(idTag, connectorId: 2, meterStart: 1000, at: elsewhere);

        replayed.TransactionId.ShouldBe(OtherNodesId);
        replayed.IdTagStatus.ShouldBe("Accepted");
        await host.WaitForProjectionsAsync();
        var transactions = await host.Api(Access.Roles.Operator).GetJsonAsync($"/api/transactions?chargePointId={credentials.Id}");
        transactions.EnumerateArray().Select(t => t.GetProperty("ocppTransactionId").GetInt32()).ShouldBe([own.TransactionId]);
    }

    [Fact]
    public async Task a_tag_blocked_between_authorize_and_start_is_blocked_at_the_start()
    {
        var (cp, _) = await host.BootedChargePointAsync();
        await using var __ = cp;
        var idTag = await host.IssuedIdTagAsync();
        await cp.StartTransactionAsync(idTag, connectorId: 1, at: Scenarios.SessionStart); // the ledger now starts without reads

        var authorized = await cp.CallAsync("Authorize", new { idTag });
        authorized.GetProperty("idTagInfo").GetProperty("status").GetString().ShouldBe("Accepted");
        (await host.Api(Access.Roles.Operator).PostAsync($"/api/idtags/{idTag}/block", null, TestContext.Current.CancellationToken))
            .StatusCode.ShouldBe(System.Net.HttpStatusCode.OK);

        var start = await cp.StartTransactionAsync(idTag, connectorId: 2, at: Scenarios.SessionStart.AddMinutes(1));

        start.IdTagStatus.ShouldBe("Blocked");
        start.TransactionId.ShouldBePositive();
    }

    [Fact]
    public async Task calls_sent_without_waiting_are_all_answered_and_recorded_in_send_order()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        var idTag = await host.IssuedIdTagAsync();

        var preparing = cp.StatusAsync(1, "Preparing", Scenarios.SessionStart);
        var charging = cp.StatusAsync(1, "Charging", Scenarios.SessionStart.AddSeconds(1));
        var start = cp.StartTransactionAsync(idTag, at: Scenarios.SessionStart.AddSeconds(2));
        await Task.WhenAll(preparing, charging, start);

        var transactionId = (await start).TransactionId;
        transactionId.ShouldBePositive();
        var statuses = (await host.StreamAsync(StreamKeys.ChargePoint(credentials.Id)))
            .Where(e => e.Data is ConnectorStatusChanged).ToList();
        statuses.Select(e => ((ConnectorStatusChanged)e.Data).Status).ShouldBe([ConnectorStatus.Preparing, ConnectorStatus.Charging]);
        var started = (await host.StreamAsync(StreamKeys.Transaction(StreamKeys.TransactionId(credentials.Id, transactionId))))[0];
        started.Sequence.ShouldBeGreaterThan(statuses[^1].Sequence);
    }

    /// <summary>A DataTransfer CALL padded to exactly <paramref name="bytes"/> UTF-8 bytes.</summary>
    private static string DataTransferFrame(string messageId, int bytes)
    {
        var head = $$"""[2,"{{messageId}}","DataTransfer",{"vendorId":"com.example","data":""" + "\"";
        const string Tail = "\"}]";
        return head + new string('x', bytes - head.Length - Tail.Length) + Tail;
    }
}
