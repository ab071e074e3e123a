using System.Diagnostics;
using System.Numerics;

namespace ChargeLedger.Simulator.Bench;

/// <summary>Percentiles in milliseconds; nearest rank, each the highest value of its bucket as HdrHistogram reports it.</summary>
public sealed record LatencySummary(long Count, double P50, double P90, double P99, double P999, double Max, double Mean);

/// <summary>
/// A lock-free log-linear histogram of microseconds, HdrHistogram's layout with three significant digits: exact below
/// 2,048 µs, then 1,024 buckets per power of two (at most 0.1 % too high), up to about 2.4 hours. Recording is one
/// Interlocked add per counter, so every connection records into the same instance without a lock.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 10;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int LinearBuckets = 2 * SubBuckets;
    private const int Exponents = 22;
    private const long HighestTrackable = ((2L * SubBuckets) << Exponents) - 1;

    private readonly long[] _counts = new long[LinearBuckets + (Exponents * SubBuckets)];
    private long _count;
    private long _sum;
    private long _max;

    public long Count => Interlocked.Read(ref _count);

    public void RecordSince(long startTimestamp) =>
        Record((Stopwatch.GetTimestamp() - startTimestamp) * 1_000_000 / Stopwatch.Frequency);

    public void Record(long microseconds)
    {
        var value = Math.Clamp(microseconds, 0, HighestTrackable);
        Interlocked.Increment(ref _counts[BucketOf(value)]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sum, value);
        var max = Interlocked.Read(ref _max);
        while (value > max)
        {
            var seen = Interlocked.CompareExchange(ref _max, value, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }
    }

    /// <summary>Adds another histogram's counts (a per-action histogram into the one over every call).</summary>
    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            var n = Interlocked.Read(ref other._counts[i]);
            if (n != 0)
            {
                Interlocked.Add(ref _counts[i], n);
            }
        }

        Interlocked.Add(ref _count, other.Count);
        Interlocked.Add(ref _sum, Interlocked.Read(ref other._sum));
        var otherMax = Interlocked.Read(ref other._max);
        if (otherMax > Interlocked.Read(ref _max))
        {
            Interlocked.Exchange(ref _max, otherMax);
        }
    }

    /// <summary>Nearest-rank percentile in microseconds: the smallest bucket holding at least p % of the values.</summary>
    public long ValueAtPercentile(double percentile)
    {
        var total = Count;
        if (total == 0)
        {
            return 0;
        }

        // The epsilon keeps 99.9 % of 1,000 at rank 999: in binary floating point it is 999.0000000000001.
        var rank = Math.Max(1, (long)Math.Ceiling((percentile / 100 * total) - 1e-9));
        var seen = 0L;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return Math.Min(HighestOf(i), Interlocked.Read(ref _max));
            }
        }

        return Interlocked.Read(ref _max);
    }

    public LatencySummary Summary()
    {
        var count = Count;
        static double Ms(long us) => Math.Round(us / 1000.0, 2);
        return new LatencySummary(count, Ms(ValueAtPercentile(50)), Ms(ValueAtPercentile(90)), Ms(ValueAtPercentile(99)),
            Ms(ValueAtPercentile(99.9)), Ms(Interlocked.Read(ref _max)), count == 0 ? 0 : Math.Round(Interlocked.Read(ref _sum) / 1000.0 / count, 2));
    }

    public static int BucketOf(long value)
    {
        if (value < LinearBuckets)
        {
            return (int)value;
        }

        var exponent = BitOperations.Log2((ulong)value) - SubBucketBits;
        var mantissa = (int)(value >> exponent);
        return LinearBuckets + ((exponent - 1) * SubBuckets) + (mantissa - SubBuckets);
    }

    public static long HighestOf(int bucket)
    {
        if (bucket < LinearBuckets)
        {
            return bucket;
        }

        var exponent = ((bucket - LinearBuckets) / SubBuckets) + 1;
        var mantissa = (long)((bucket - LinearBuckets) % SubBuckets) + SubBuckets;
        return ((mantissa + 1) << exponent) - 1;
    }
}
