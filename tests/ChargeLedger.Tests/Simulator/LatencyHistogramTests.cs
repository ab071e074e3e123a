using ChargeLedger.Simulator.Bench;

namespace ChargeLedger.Tests.Simulator;

public class LatencyHistogramTests
{
    [Fact]
    public void percentiles_below_two_milliseconds_are_exact_nearest_ranks()
    {
        var histogram = new LatencyHistogram();
        for (var us = 1; us <= 1000; us++)
        {
            histogram.Record(us);
        }

        histogram.ValueAtPercentile(50).ShouldBe(500);
        histogram.ValueAtPercentile(99).ShouldBe(990);
        histogram.ValueAtPercentile(99.9).ShouldBe(999);
        histogram.ValueAtPercentile(100).ShouldBe(1000);
        histogram.ValueAtPercentile(0).ShouldBe(1);
    }

    [Fact]
    public void larger_values_are_reported_at_most_a_thousandth_too_high_and_never_above_the_maximum()
    {
        var histogram = new LatencyHistogram();
        long[] values = [2_048, 12_345, 987_654, 45_000_000];
        foreach (var value in values)
        {
            histogram.Record(value);
        }

        for (var i = 0; i < values.Length; i++)
        {
            var reported = histogram.ValueAtPercentile(100.0 * (i + 1) / values.Length);
            reported.ShouldBeGreaterThanOrEqualTo(values[i]);
            reported.ShouldBeLessThanOrEqualTo(values[i] + (values[i] / 1000));
        }

        histogram.ValueAtPercentile(100).ShouldBe(45_000_000);
    }

    [Fact]
    public void every_value_falls_in_a_bucket_whose_highest_value_bounds_it_from_above()
    {
        for (var value = 0L; value < 50_000_000; value = (value * 3 / 2) + 7)
        {
            var bucket = LatencyHistogram.BucketOf(value);
            LatencyHistogram.HighestOf(bucket).ShouldBeGreaterThanOrEqualTo(value);
            if (bucket > 0)
            {
                LatencyHistogram.HighestOf(bucket - 1).ShouldBeLessThan(value);
            }
        }
    }

    [Fact]
    public void summary_is_in_milliseconds_and_adding_merges_counts()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        a.Record(1_000);
        b.Record(3_000);
        var all = new LatencyHistogram();
        all.Add(a);
        all.Add(b);

        var summary = all.Summary();
        summary.Count.ShouldBe(2);
        summary.P50.ShouldBe(1.0);
        summary.Max.ShouldBe(3.0);
        summary.Mean.ShouldBe(2.0);
        new LatencyHistogram().Summary().ShouldBe(new LatencySummary(0, 0, 0, 0, 0, 0, 0));
    }

    [Fact]
    public void concurrent_recording_loses_no_value()
    {
        var histogram = new LatencyHistogram();
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                histogram.Record(i % 3_000);
            }
        });

        histogram.Count.ShouldBe(40_000);
        histogram.ValueAtPercentile(100).ShouldBe(2_999);
    }

    [Fact]
    public void nearest_rank_of_sorted_values_matches_the_ocpp_load_client()
    {
        double[] sorted = [0.1, 0.2, 0.3, 0.4];
        BenchMonitor.NearestRank(sorted, 50).ShouldBe(0.2);
        BenchMonitor.NearestRank(sorted, 99).ShouldBe(0.4);
        BenchMonitor.NearestRank([], 99).ShouldBe(0);
    }
}
