using System.Globalization;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace ChargeLedger.Benchmarks;

/// <summary>
/// Where a running host allocates: reads a <c>dotnet-trace</c> file taken with the runtime's GC events at verbose level
/// (one AllocationTick per ~100 KB allocated, with its stack) and prints the sampled bytes by type, inclusively by frame,
/// and by type with its top frames. <c>ops/alloc-profile.sh</c> takes the trace during the OCPP bench's measured window.
/// </summary>
public static class AllocationReport
{
    public static int Run(string tracePath, int stackDepth, TextWriter output)
    {
        using var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(tracePath));
        var byType = new Dictionary<string, long>(StringComparer.Ordinal);
        var byFrame = new Dictionary<string, long>(StringComparer.Ordinal);
        var byStack = new Dictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        var frames = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var data in log.Events)
        {
            if (data is not GCAllocationTickTraceData tick)
            {
                continue;
            }

            var bytes = tick.AllocationAmount64;
            total += bytes;
            Add(byType, tick.TypeName, bytes);
            frames.Clear();
            seen.Clear();
            for (var frame = data.CallStack(); frame is not null && frames.Count < 60; frame = frame.Caller)
            {
                var name = frame.CodeAddress.FullMethodName;
                frames.Add(string.IsNullOrEmpty(name) ? frame.CodeAddress.ModuleName + "!?" : Cut(name, 150));
            }

            foreach (var frame in frames)
            {
                if (seen.Add(frame))
                {
                    Add(byFrame, frame, bytes);
                }
            }

            Add(byStack, tick.TypeName + " <- " + string.Join(" <- ", frames.Take(stackDepth).Select(f => Cut(f, 90))), bytes);
        }

        if (total == 0)
        {
            output.WriteLine("No AllocationTick events: take the trace with --providers \"Microsoft-Windows-DotNETRuntime:0x1:5\".");
            return 1;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sampled allocations: {total / 1e6:F1} MB"));
        Print(output, "by type", byType, total, 40);
        Print(output, "inclusive by frame (each frame once per sample)", byFrame, total, 120);
        Print(output, $"by type and top {stackDepth} frames", byStack, total, 50);
        return 0;
    }

    private static void Add(Dictionary<string, long> totals, string key, long bytes) =>
        totals[key] = totals.GetValueOrDefault(key) + bytes;

    private static string Cut(string text, int length) => text.Length <= length ? text : text[..length];

    private static void Print(TextWriter output, string title, Dictionary<string, long> totals, long total, int rows)
    {
        output.WriteLine();
        output.WriteLine("== " + title);
        foreach (var (key, bytes) in totals.OrderByDescending(x => x.Value).Take(rows))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{100.0 * bytes / total,6:F1} %  {key}"));
        }
    }
}
