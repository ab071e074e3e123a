using System.Globalization;
using System.Text.Json;

namespace ChargeLedger.Simulator.Bench;

/// <summary>bench mode: runs one scenario, writes the report as JSON to --json and as markdown to stdout; progress goes to stderr.</summary>
public static class BenchCommand
{
    public static async Task<int> RunAsync(BenchOptions options)
    {
        using var stop = new StopSignal();
        var startedAt = DateTimeOffset.UtcNow;
        var scenario = options.Scenario switch
        {
            BenchScenario.CopyBaseline => "copy-baseline",
            _ => options.Scenario.ToString().ToLowerInvariant(),
        };
        void Log(string message) =>
            Console.Error.WriteLine($"{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} bench {scenario,-13} {message}");

        try
        {
            await using var monitor = new BenchMonitor(options);
            monitor.Start();
            var report = new BenchReport(scenario, options.Label, startedAt);
            report = options.Scenario switch
            {
                BenchScenario.Ocpp => report with { Ocpp = await new OcppBench(options, monitor, Log).RunAsync(stop.Token) },
                BenchScenario.Connections => report with { Connections = await new ConnectionsBench(options, monitor, Log).RunAsync(stop.Token) },
                BenchScenario.CopyBaseline => report with { Copy = await new CopyBaseline(options, monitor, Log).RunAsync(stop.Token) },
                _ => report with { Provision = await new BenchProvisioning(options, Log).RunAsync(stop.Token) },
            };

            if (options.JsonFile is { } file)
            {
                await File.WriteAllTextAsync(file, JsonSerializer.Serialize(report, BenchJsonContext.Default.BenchReport), CancellationToken.None);
            }

            Console.WriteLine(report.Markdown());
            var errors = report.Ocpp?.Errors ?? report.Connections?.Rounds.Sum(r => r.Errors) ?? report.Provision?.Failed ?? 0;
            return errors == 0 ? 0 : 1;
        }
        catch (OperationCanceledException) when (stop.Requested)
        {
            return 130;
        }
        catch (Exception ex) when (ex is InvalidOperationException or Npgsql.NpgsqlException or HttpRequestException or IOException)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
    }
}
