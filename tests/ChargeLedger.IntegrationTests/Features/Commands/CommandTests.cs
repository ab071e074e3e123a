using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChargeLedger.Access;
using ChargeLedger.ChargePoints;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Shared;

namespace ChargeLedger.IntegrationTests.Features.Commands;

[CollectionDefinition]
public sealed class CommandCollection : ICollectionFixture<LedgerHost>;

/// <summary>CONTRACT.md Commands: operator commands to connected charge points, their outcomes and their effects (issue 5).</summary>
[Collection(typeof(CommandCollection))]
public sealed class CommandTests(LedgerHost host)
{
    private static readonly string[] AskedKeys = ["HeartbeatInterval", "Nope"];
    private static readonly string[] UnknownKeys = ["Nope"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<List<string>> CommandEventTypesAsync(string commandId) =>
        [.. (await host.StreamAsync(StreamKeys.Command(commandId))).Select(e => e.EventTypeName)];

    [Fact]
    public async Task an_accepted_remote_start_is_sent_as_asked_and_its_life_is_a_stream()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var connected = cp;

        var commandId = await host.CommandAsync(credentials.Id, "RemoteStartTransaction", new { connectorId = 1, idTag = "TAG-REMOTE" });
        var call = await cp.ReceiveServerCallAsync();
        call.Action.ShouldBe("RemoteStartTransaction");
        call.Payload.GetProperty("idTag").GetString().ShouldBe("TAG-REMOTE");
        (await host.CommandStateAsync(commandId)).GetProperty("status").GetString().ShouldBeOneOf("Requested", "Sent");
        await cp.AnswerAsync(call, new { status = "Accepted" });

        var done = await host.CommandWithStatusAsync(commandId, "Accepted");
        done.GetProperty("chargePointId").GetString().ShouldBe(credentials.Id);
        done.GetProperty("action").GetString().ShouldBe("RemoteStartTransaction");
        done.GetProperty("response").GetProperty("status").GetString().ShouldBe("Accepted");
        done.GetProperty("requestedBy").GetString().ShouldBe(Roles.Operator);
        done.GetProperty("completedAt").GetDateTimeOffset().ShouldBeGreaterThanOrEqualTo(done.GetProperty("requestedAt").GetDateTimeOffset());
        (await CommandEventTypesAsync(commandId)).ShouldBe(["command_requested", "command_sent", "command_accepted"]);
    }

    [Theory]
    [InlineData("Reset", "{\"type\":\"Soft\"}", "Rejected", "Rejected")]
    [InlineData("UnlockConnector", "{\"connectorId\":1}", "Unlocked", "Accepted")]
    [InlineData("UnlockConnector", "{\"connectorId\":1}", "UnlockFailed", "Rejected")]
    [InlineData("ClearCache", "{}", "Accepted", "Accepted")]
    public async Task the_answers_status_decides_accepted_or_rejected(string action, string payload, string answer, string expected)
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var connected = cp;

        var commandId = await host.CommandAsync(credentials.Id, action, JsonDocument.Parse(payload).RootElement);
        await cp.AnswerAsync(await cp.ReceiveServerCallAsync(), new { status = answer });

        (await host.CommandWithStatusAsync(commandId, expected)).GetProperty("response").GetProperty("status").GetString().ShouldBe(answer);
    }

    [Fact]
    public async Task a_callerror_fails_the_command_with_the_code()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var connected = cp;

        var commandId = await host.CommandAsync(credentials.Id, "DataTransfer", new { vendorId = "ACME" });
        await cp.AnswerErrorAsync(await cp.ReceiveServerCallAsync(), "NotImplemented", "no DataTransfer here");

        var failed = await host.CommandWithStatusAsync(commandId, "Failed");
        failed.GetProperty("errorCode").GetString().ShouldBe("NotImplemented");
        failed.GetProperty("completedAt").ValueKind.ShouldBe(JsonValueKind.String);
    }

    [Fact]
    public async Task commands_to_one_charge_point_go_out_one_at_a_time_in_the_order_asked()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var connected = cp;

        var first = await host.CommandAsync(credentials.Id, "GetLocalListVersion", new { });
        var second = await host.CommandAsync(credentials.Id, "ClearCache", new { });
        var third = await host.CommandAsync(credentials.Id, "Reset", new { type = "Hard" });

        var call = await cp.ReceiveServerCallAsync();
        call.Action.ShouldBe("GetLocalListVersion");
        // Nothing else goes out while the first is unanswered (OCPP-J §4.1.1).
        (await host.CommandStateAsync(second)).GetProperty("status").GetString().ShouldBe("Requested");
        (await host.CommandStateAsync(third)).GetProperty("status").GetString().ShouldBe("Requested");
        cp.TryReceiveRaw(out var early).ShouldBeFalse(early);
        await cp.AnswerAsync(call, new { listVersion = 3 });

        call = await cp.ReceiveServerCallAsync();
        call.Action.ShouldBe("ClearCache");
        await cp.AnswerAsync(call, new { status = "Accepted" });
        call = await cp.ReceiveServerCallAsync();
        call.Action.ShouldBe("Reset");
        await cp.AnswerAsync(call, new { status = "Accepted" });

        (await host.CommandWithStatusAsync(first, "Accepted")).GetProperty("response").GetProperty("listVersion").GetInt32().ShouldBe(3);
        await host.CommandWithStatusAsync(second, "Accepted");
        await host.CommandWithStatusAsync(third, "Accepted");
    }

    [Fact]
    public async Task a_charge_point_that_is_not_connected_fails_the_command_at_once_with_409()
    {
        var credentials = await host.RegisteredChargePointAsync();

        var response = await host.Api(Roles.Operator).PostAsJsonAsync($"/api/chargepoints/{credentials.Id}/commands",
            new { action = "Reset", payload = new { type = "Soft" } }, Ct);
        var body = await response.ReadJsonAsync(HttpStatusCode.Conflict);

        var commandId = body.GetProperty("commandId").GetString()!;
        var failed = await host.CommandStateAsync(commandId);
        failed.GetProperty("status").GetString().ShouldBe("Failed");
        failed.GetProperty("reason").GetString()!.ShouldContain("not connected");
    }

    [Fact]
    public async Task the_payload_is_checked_against_the_official_schema_before_anything_is_sent()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var connected = cp;
        var api = host.Api(Roles.Operator);

        var badPayload = await (await api.PostAsJsonAsync($"/api/chargepoints/{credentials.Id}/commands",
            new { action = "Reset", payload = new { type = "Gentle" } }, Ct)).ReadJsonAsync(HttpStatusCode.BadRequest);
        badPayload.GetProperty("errors").TryGetProperty("payload", out _).ShouldBeTrue(badPayload.ToString());
        var badAction = await (await api.PostAsJsonAsync($"/api/chargepoints/{credentials.Id}/commands",
            new { action = "BootNotification", payload = new { chargePointVendor = "x", chargePointModel = "y" } }, Ct)).ReadJsonAsync(HttpStatusCode.BadRequest);
        badAction.GetProperty("errors").TryGetProperty("action", out _).ShouldBeTrue(badAction.ToString());
        (await api.PostAsJsonAsync("/api/chargepoints/CP-nowhere/commands", new { action = "ClearCache", payload = new { } }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await host.Api(Roles.Finance).PostAsJsonAsync($"/api/chargepoints/{credentials.Id}/commands", new { action = "ClearCache", payload = new { } }, Ct))
            .StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await api.GetAsync("/api/commands/cmd-unknown", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        cp.TryReceiveRaw(out var sent).ShouldBeFalse(sent);
    }

    [Fact]
    public async Task an_accepted_change_availability_sets_the_connectors_availability_and_get_configuration_is_kept()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var connected = cp;

        var change = await host.CommandAsync(credentials.Id, "ChangeAvailability", new { connectorId = 2, type = "Inoperative" });
        await cp.AnswerAsync(await cp.ReceiveServerCallAsync(), new { status = "Accepted" });
        await host.CommandWithStatusAsync(change, "Accepted");
        var configuration = await host.CommandAsync(credentials.Id, "GetConfiguration", new { key = AskedKeys });
        await cp.AnswerAsync(await cp.ReceiveServerCallAsync(),
            new { configurationKey = new[] { new { key = "HeartbeatInterval", @readonly = false, value = "300" } }, unknownKey = UnknownKeys });
        await host.CommandWithStatusAsync(configuration, "Accepted");

        var events = (await host.StreamAsync(StreamKeys.ChargePoint(credentials.Id))).Select(e => e.Data).ToList();
        var set = events.OfType<ConnectorAvailabilitySet>().ShouldHaveSingleItem();
        (set.ConnectorId, set.Availability, set.CommandId, set.SetBy).ShouldBe((2, ConnectorAvailability.Inoperative, change, Roles.Operator));
        var reported = events.OfType<ChargePointConfigurationReported>().ShouldHaveSingleItem();
        reported.CommandId.ShouldBe(configuration);
        reported.ConfigurationKey[0].GetProperty("value").GetString().ShouldBe("300");
        reported.UnknownKey[0].GetString().ShouldBe("Nope");

        // The charge point keeps talking normally on the same ledger afterwards.
        await cp.StatusAsync(2, "Unavailable");
    }
}
