using System.Net.WebSockets;
using ChargeLedger.ChargePoints;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Shared;
using Microsoft.Extensions.Configuration;

namespace ChargeLedger.IntegrationTests.Features.Ocpp;

/// <summary>A socket that stays silent past the idle timeout is closed with a Close frame, and the disconnection is recorded.</summary>
public sealed class IdleTimeoutTests(PostgresServer server)
{
    [Fact]
    public async Task a_silent_connection_is_closed_normally_and_recorded_as_disconnected()
    {
        await using var host = new LedgerHost(server)
        {
            Configure = builder => builder.Configuration.AddInMemoryCollection(
                new Dictionary<string, string?> { ["ChargeLedger:Ocpp:IdleTimeoutSeconds"] = "1" }),
        };
        await host.InitializeAsync();
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using (cp)
        {
            // Bounded wait on the close itself: the server closes after one silent second.
            (await cp.WaitForCloseAsync(TimeSpan.FromSeconds(15))).ShouldBe(WebSocketCloseStatus.NormalClosure);
        }

        await Eventually(async () => (await host.StreamAsync(StreamKeys.ChargePoint(credentials.Id))).Any(e => e.Data is ChargePointDisconnected));
        var disconnected = (await host.StreamAsync(StreamKeys.ChargePoint(credentials.Id))).Select(e => e.Data).OfType<ChargePointDisconnected>().Single();
        disconnected.Reason.ShouldBe("Idle timeout");
    }

    /// <summary>The server records the disconnection right after the close handshake; poll for it with a bound.</summary>
    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The condition did not hold within 15 s.");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken); // a poll interval, not a wait for luck
        }
    }
}
