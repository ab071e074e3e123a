using ChargeLedger.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace ChargeLedger.IntegrationTests.Features.Commands;

/// <summary>A host whose calls time out after 1 s (ChargeLedger:Ocpp:CallTimeoutSeconds), for the timeout rows of issue 5.</summary>
public sealed class ShortCallTimeoutHost(PostgresServer server) : IAsyncLifetime
{
    public LedgerHost Host { get; } = new(server)
    {
        Configure = builder => builder.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["ChargeLedger:Ocpp:CallTimeoutSeconds"] = "1" }),
    };

    public ValueTask InitializeAsync() => Host.InitializeAsync();

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}

[CollectionDefinition]
public sealed class CommandTimeoutCollection : ICollectionFixture<ShortCallTimeoutHost>;

[Collection(typeof(CommandTimeoutCollection))]
public sealed class CommandTimeoutTests(ShortCallTimeoutHost fixture)
{
    private LedgerHost Host => fixture.Host;

    [Fact]
    public async Task an_unanswered_call_times_out_the_next_one_goes_out_and_a_late_reply_is_recorded_not_applied()
    {
        var (cp, credentials) = await Host.BootedChargePointAsync();
        await using var connected = cp;

        var slow = await Host.CommandAsync(credentials.Id, "ChangeAvailability", new { connectorId = 1, type = "Inoperative" });
        var next = await Host.CommandAsync(credentials.Id, "ClearCache", new { });
        var unanswered = await cp.ReceiveServerCallAsync();

        await Host.CommandWithStatusAsync(slow, "TimedOut");
        var call = await cp.ReceiveServerCallAsync();
        call.Action.ShouldBe("ClearCache");
        await cp.AnswerAsync(unanswered, new { status = "Accepted" }); // too late
        await cp.AnswerAsync(call, new { status = "Accepted" });

        await Host.CommandWithStatusAsync(next, "Accepted");
        var timedOut = await Eventually.ReturnsAsync(() => Host.CommandStateAsync(slow), c => c.GetProperty("lateReplies").GetInt32() == 1,
            "the late reply is recorded");
        timedOut.GetProperty("status").GetString().ShouldBe("TimedOut");
        // Not applied: the late "Accepted" set no availability.
        (await Host.StreamAsync(Shared.StreamKeys.ChargePoint(credentials.Id))).Select(e => e.Data)
            .OfType<ChargePoints.ConnectorAvailabilitySet>().ShouldBeEmpty();
    }

    [Fact]
    public async Task a_connection_lost_before_the_reply_fails_the_command_and_what_was_queued_behind_it()
    {
        var (cp, credentials) = await Host.BootedChargePointAsync();
        var first = await Host.CommandAsync(credentials.Id, "Reset", new { type = "Hard" });
        var queued = await Host.CommandAsync(credentials.Id, "ClearCache", new { });
        await cp.ReceiveServerCallAsync();
        await cp.DisposeAsync();

        var failed = await Host.CommandWithStatusAsync(first, "Failed");
        failed.GetProperty("reason").GetString()!.ShouldContain("closed");
        var status = (await Eventually.ReturnsAsync(() => Host.CommandStateAsync(queued), c => c.GetProperty("status").GetString() != "Requested",
            "the queued command ends")).GetProperty("status").GetString();
        status.ShouldBe("Failed");
    }
}
