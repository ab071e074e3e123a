using ChargeLedger.ChargePoints;
using ChargeLedger.IntegrationTests.Features.Commands;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ChargeLedger.IntegrationTests.Features.GroupCommit;

/// <summary>
/// ChargeLedger:Ledger:CommitLingerMilliseconds: a commit loop that found its batch not full waits that long and takes
/// what arrived meanwhile into the same transaction. A decision queued after the loop took the first one, well within
/// the linger, shares the first one's transaction (their rows in mt_events carry the same xmin); without a linger it
/// would be committed in a transaction of its own.
/// </summary>
[Collection(typeof(CommandCollection))]
public sealed class CommitLingerTests(PostgresServer server, LedgerHost host)
{
    [Fact]
    public async Task decisions_arriving_while_a_loop_lingers_share_its_commit()
    {
        var options = Options.Create(new LedgerWriterOptions { CommitLoops = 1, CommitLingerMilliseconds = 2_000 });
        await using var writer = new LedgerWriter(host.Store, host.Services.GetRequiredService<LedgerConnections>(), options, NullLogger<LedgerWriter>.Instance);
        var first = await host.RegisteredChargePointAsync();
        var second = await host.RegisteredChargePointAsync();

        var a = writer.CommitAsync(Transfer(first.Id), TestContext.Current.CancellationToken);
        // The loop has taken A: without a linger it is committing A alone now; with one it waits for more.
        await Eventually.ReturnsAsync(() => Task.FromResult(writer.Queued), queued => queued == 0, "the commit loop takes the first decision");
        var b = writer.CommitAsync(Transfer(second.Id), TestContext.Current.CancellationToken);
        await Task.WhenAll(a, b);

        (await TransactionOfLastEventAsync(second.Id)).ShouldBe(await TransactionOfLastEventAsync(first.Id), "one transaction");
    }

    /// <summary>The id of the transaction that wrote the stream's last event (PostgreSQL's xmin of its row).</summary>
    private Task<string> TransactionOfLastEventAsync(string chargePointId) =>
        server.ScalarAsSuperuserAsync<string>(host,
            "select xmin::text from chargeledger.mt_events where stream_id = $1 order by version desc limit 1", StreamKeys.ChargePoint(chargePointId));

    private static LedgerChange Transfer(string chargePointId) =>
        new([new StreamAppend(StreamKeys.ChargePoint(chargePointId), StreamAppend.AnyVersion,
            [new DataTransferReceived(chargePointId, "com.example", null, "linger", DateTimeOffset.UtcNow)])], [], []);
}
