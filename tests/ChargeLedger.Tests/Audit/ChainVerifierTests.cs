using System.Text.Json;
using ChargeLedger.Audit;
using ChargeLedger.Ledger;

namespace ChargeLedger.Tests.Audit;

public class ChainVerifierTests
{
    private const string Stream = "transaction:CP-1:7";

    private sealed record StoredEvent(long Sequence, long Version, string Type, JsonElement Data, string? Hash, string? PreviousHash);

    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>A correctly chained stream of <paramref name="count"/> events, sequences 10, 20, 30…</summary>
    private static List<StoredEvent> Chain(int count)
    {
        var events = new List<StoredEvent>();
        var previous = "";
        for (var version = 1; version <= count; version++)
        {
            var data = Json($$"""{"transactionId":"CP-1:7","registerWh":{{version * 100}}}""");
            var type = version == 1 ? "transaction_started" : "meter_values_recorded";
            var hash = HashChain.Compute(previous, Stream, version, type, data);
            events.Add(new StoredEvent(version * 10, version, type, data, hash, previous));
            previous = hash;
        }

        return events;
    }

    private static ChainBreak? Verify(IEnumerable<StoredEvent> events, long streamVersion)
    {
        var verifier = new ChainVerifier(Stream, streamVersion);
        foreach (var e in events)
        {
            verifier.Accept(e.Sequence, e.Version, e.Type, e.Data, e.Hash, e.PreviousHash);
        }

        verifier.Complete();
        return verifier.Break;
    }

    [Fact]
    public void an_untouched_chain_verifies()
    {
        Verify(Chain(4), 4).ShouldBeNull();
    }

    [Fact]
    public void edited_data_breaks_at_that_event_with_the_recomputed_and_the_stored_hash()
    {
        var events = Chain(4);
        events[2] = events[2] with { Data = Json("""{"transactionId":"CP-1:7","registerWh":1}""") };

        var broken = Verify(events, 4).ShouldNotBeNull();

        broken.ShouldSatisfyAllConditions(
            () => broken.Reason.ShouldBe(ChainBreakReasons.HashMismatch),
            () => broken.Version.ShouldBe(3),
            () => broken.Sequence.ShouldBe(30),
            () => broken.Stored.ShouldBe(events[2].Hash),
            () => broken.Expected.ShouldBe(HashChain.Compute(events[1].Hash!, Stream, 3, events[2].Type, events[2].Data)),
            () => broken.TransactionId.ShouldBe("CP-1:7"),
            () => broken.Stream.ShouldBe(Stream));
    }

    [Fact]
    public void an_edited_previous_hash_header_breaks_at_that_event()
    {
        var events = Chain(3);
        events[1] = events[1] with { PreviousHash = new string('0', 64) };

        var broken = Verify(events, 3).ShouldNotBeNull();

        broken.Reason.ShouldBe(ChainBreakReasons.PreviousHashMismatch);
        broken.Version.ShouldBe(2);
        broken.Expected.ShouldBe(events[0].Hash);
        broken.Stored.ShouldBe(new string('0', 64));
    }

    [Fact]
    public void a_removed_hash_header_breaks_at_that_event()
    {
        var events = Chain(3);
        events[0] = events[0] with { Hash = null, PreviousHash = null };

        Verify(events, 3).ShouldNotBeNull().Reason.ShouldBe(ChainBreakReasons.MissingHash);
    }

    [Fact]
    public void a_deleted_middle_event_is_a_missing_version()
    {
        var events = Chain(4);
        events.RemoveAt(1);

        var broken = Verify(events, 4).ShouldNotBeNull();

        broken.Reason.ShouldBe(ChainBreakReasons.MissingVersion);
        broken.Version.ShouldBe(2);
        broken.Sequence.ShouldBe(30, "the event found where version 2 should be");
        broken.Expected.ShouldBe("version 2");
        broken.Stored.ShouldBe("version 3");
    }

    [Fact]
    public void a_deleted_last_event_shows_against_the_streams_recorded_version()
    {
        var events = Chain(4);
        events.RemoveAt(3);

        var broken = Verify(events, 4).ShouldNotBeNull();

        broken.Reason.ShouldBe(ChainBreakReasons.MissingTail);
        broken.Version.ShouldBe(4);
        broken.Sequence.ShouldBeNull();
        broken.Stored.ShouldBe("last event is version 3");
    }

    [Fact]
    public void a_stream_whose_every_event_was_deleted_is_broken()
    {
        Verify([], 2).ShouldNotBeNull().Stored.ShouldBe("no events");
    }

    [Fact]
    public void a_lowered_stream_version_is_caught()
    {
        Verify(Chain(3), 2).ShouldNotBeNull().Reason.ShouldBe(ChainBreakReasons.EventsBeyondStreamVersion);
    }

    [Fact]
    public void swapped_events_break_and_only_the_first_link_is_reported()
    {
        var events = Chain(4);
        (events[1], events[2]) = (events[2] with { Version = 2, Sequence = 20 }, events[1] with { Version = 3, Sequence = 30 });
        var verifier = new ChainVerifier(Stream, 4);

        var breaks = events.Select(e => verifier.Accept(e.Sequence, e.Version, e.Type, e.Data, e.Hash, e.PreviousHash)).ToList();
        breaks.Add(verifier.Complete());

        var broken = breaks.OfType<ChainBreak>().ShouldHaveSingleItem();
        broken.Version.ShouldBe(2);
        broken.Reason.ShouldBe(ChainBreakReasons.PreviousHashMismatch);
        verifier.EventsChecked.ShouldBe(4);
    }
}
