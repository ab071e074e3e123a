using BenchmarkDotNet.Running;
using ChargeLedger.Benchmarks;

// dotnet run -c Release --project tests/ChargeLedger.Benchmarks -- --filter '*'          (full runs)
// dotnet run -c Release --project tests/ChargeLedger.Benchmarks -- --filter '*' --job short
// dotnet run -c Release --project tests/ChargeLedger.Benchmarks -- alloc-report TRACE.nettrace [frames]   (ops/alloc-profile.sh)
if (args is ["alloc-report", var trace, ..])
{
    return AllocationReport.Run(trace, args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5, Console.Out);
}

BenchmarkSwitcher.FromAssembly(typeof(HotPathBenchmarks).Assembly).Run(args);
return 0;
