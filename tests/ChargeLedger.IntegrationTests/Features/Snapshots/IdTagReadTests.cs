using ChargeLedger.IdTags;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using Microsoft.Extensions.DependencyInjection;

namespace ChargeLedger.IntegrationTests.Features.Snapshots;

/// <summary>
/// LedgerStore.LoadIdTagAsync reads a tag it has read before from the remembered version on. Every read must still equal
/// the full fold of the stream as it is at that moment, whoever appended to it: here another writer (another node, an
/// operator's tool) appends behind this node's back, so nothing here tells the node to forget what it read.
/// </summary>
[Collection(typeof(Commands.CommandCollection))]
public sealed class IdTagReadTests(LedgerHost host)
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private LedgerStore Store => host.Services.GetRequiredService<LedgerStore>();

    [Fact]
    public async Task every_read_equals_the_full_fold_of_the_stream_as_it_then_is()
    {
        var idTag = await host.IssuedIdTagAsync();
        var ct = TestContext.Current.CancellationToken;

        var first = (await Store.LoadIdTagAsync(idTag, ct)).ShouldNotBeNull();
        first.Blocked.ShouldBeFalse();
        (await Store.LoadIdTagAsync(idTag, ct)).ShouldBe(await FullFoldAsync(idTag), "nothing appended since: the remembered state");

        await AppendElsewhereAsync(idTag, new IdTagBlocked(idTag, At));
        var blocked = (await Store.LoadIdTagAsync(idTag, ct)).ShouldNotBeNull();
        blocked.Blocked.ShouldBeTrue("a block appended behind this node's back is seen by its next read");
        blocked.ShouldBe(await FullFoldAsync(idTag));

        await AppendElsewhereAsync(idTag, new IdTagUnblocked(idTag, At.AddMinutes(1)), new IdTagExpiryChanged(idTag, At.AddDays(30), At.AddMinutes(2)));
        var later = (await Store.LoadIdTagAsync(idTag, ct)).ShouldNotBeNull();
        later.ShouldBe(await FullFoldAsync(idTag), "two events after the remembered version, folded onto it");
        later.Blocked.ShouldBeFalse();
        later.ExpiresAt.ShouldBe(At.AddDays(30));
        later.Version.ShouldBe(first.Version + 3);
    }

    [Fact]
    public async Task an_unknown_tag_read_again_after_it_was_issued_is_found()
    {
        var idTag = "T" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant();
        var ct = TestContext.Current.CancellationToken;

        (await Store.LoadIdTagAsync(idTag, ct)).ShouldBeNull();
        await AppendElsewhereAsync(idTag, new IdTagIssued(idTag, null, null, At));

        (await Store.LoadIdTagAsync(idTag, ct)).ShouldBe(await FullFoldAsync(idTag));
    }

    private async Task AppendElsewhereAsync(string idTag, params object[] events)
    {
        await using var session = host.Store.LightweightSession();
        session.Events.Append(StreamKeys.IdTag(idTag), events);
        await session.SaveChangesAsync(TestContext.Current.CancellationToken);
    }

    private async Task<IdTag?> FullFoldAsync(string idTag)
    {
        await using var session = host.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync(StreamKeys.IdTag(idTag), token: TestContext.Current.CancellationToken);
        return IdTag.Fold(events.Select(e => e.Data)) is { } tag ? tag with { Version = events[^1].Version } : null;
    }
}
