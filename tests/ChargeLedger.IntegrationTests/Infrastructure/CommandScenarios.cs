using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChargeLedger.Access;

namespace ChargeLedger.IntegrationTests.Infrastructure;

/// <summary>A CALL the central system sent to a fake charge point.</summary>
public sealed record ServerCall(string MessageId, string Action, JsonElement Payload);

public static class CommandScenarios
{
    /// <summary>The next CALL from the central system (bounded wait); anything else arriving first fails the test.</summary>
    public static async Task<ServerCall> ReceiveServerCallAsync(this FakeChargePoint cp, TimeSpan? timeout = null)
    {
        var text = await cp.ReceiveRawAsync(timeout ?? FakeChargePoint.DefaultTimeout)
            ?? throw new ShouldAssertException($"{cp.Id} received no CALL from the central system");
        using var document = JsonDocument.Parse(text);
        var frame = document.RootElement;
        frame[0].GetInt32().ShouldBe(2, text);
        return new ServerCall(frame[1].GetString()!, frame[2].GetString()!, frame[3].Clone());
    }

    public static Task AnswerAsync(this FakeChargePoint cp, ServerCall call, object payload) =>
        cp.SendRawAsync($"[3,{JsonSerializer.Serialize(call.MessageId)},{JsonSerializer.Serialize(payload)}]");

    public static Task AnswerErrorAsync(this FakeChargePoint cp, ServerCall call, string code, string description) =>
        cp.SendRawAsync($"[4,{JsonSerializer.Serialize(call.MessageId)},{JsonSerializer.Serialize(code)},{JsonSerializer.Serialize(description)},{{}}]");

    /// <summary>POST a command; returns its id (202) or fails with the body.</summary>
    public static async Task<string> CommandAsync(this LedgerHost host, string chargePointId, string action, object payload) =>
        (await (await host.Api(Roles.Operator).PostAsJsonAsync($"/api/chargepoints/{chargePointId}/commands", new { action, payload },
                TestContext.Current.CancellationToken))
            .ReadJsonAsync(HttpStatusCode.Accepted)).GetProperty("commandId").GetString()!;

    public static Task<JsonElement> CommandStateAsync(this LedgerHost host, string commandId) =>
        host.Api(Roles.Operator).GetJsonAsync($"/api/commands/{commandId}");

    /// <summary>Waits (bounded) until the command has the status.</summary>
    public static Task<JsonElement> CommandWithStatusAsync(this LedgerHost host, string commandId, string status) =>
        Eventually.ReturnsAsync(() => host.CommandStateAsync(commandId), c => c.GetProperty("status").GetString() == status,
            $"command {commandId} is {status}");
}
