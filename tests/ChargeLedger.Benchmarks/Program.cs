using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/ChargeLedger.Benchmarks -- --filter '*'          (full runs)
// dotnet run -c Release --project tests/ChargeLedger.Benchmarks -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(ChargeLedger.Benchmarks.HotPathBenchmarks).Assembly).Run(args);
