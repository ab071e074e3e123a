using ChargeLedger.Ledger;

namespace ChargeLedger.Tests.Ledger;

public class EventIdsTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 13, 0, 0, 123, TimeSpan.Zero);

    [Fact]
    public void an_id_has_guid_create_version7s_layout_version_and_variant()
    {
        var id = EventIds.NewVersion7(At);
        var reference = Guid.CreateVersion7(At);

        id.Version.ShouldBe(7);
        (id.Variant & 0xC).ShouldBe(0x8);
        // The first 48 bits are the Unix milliseconds, exactly where Guid.CreateVersion7 puts them.
        id.ToString("N")[..12].ShouldBe(reference.ToString("N")[..12]);
        id.ToString("N")[..12].ShouldBe(At.ToUnixTimeMilliseconds().ToString("x12", System.Globalization.CultureInfo.InvariantCulture));
        id.ShouldNotBe(reference);
    }

    [Fact]
    public void ids_stay_unique_across_many_draws_and_threads()
    {
        var perThread = EventIds.IdsPerDraw * 20 + 7;
        var ids = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < perThread; i++)
            {
                ids.Add(EventIds.NewVersion7(At));
            }
        });

        ids.Count.ShouldBe(4 * perThread);
        ids.Distinct().Count().ShouldBe(ids.Count);
        ids.ShouldAllBe(id => id.Version == 7 && (id.Variant & 0xC) == 0x8);
    }

    [Fact]
    public void ids_of_later_milliseconds_sort_after_earlier_ones()
    {
        var earlier = EventIds.NewVersion7(At);
        var later = EventIds.NewVersion7(At.AddMilliseconds(1));

        string.CompareOrdinal(earlier.ToString("N"), later.ToString("N")).ShouldBeLessThan(0);
    }

    [Fact]
    public void a_time_before_1970_is_refused_as_guid_create_version7_refuses_it()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => EventIds.NewVersion7(DateTimeOffset.UnixEpoch.AddMilliseconds(-1)));
    }
}
