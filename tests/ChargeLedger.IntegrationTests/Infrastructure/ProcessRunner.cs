using System.Diagnostics;
using System.Text;

namespace ChargeLedger.IntegrationTests.Infrastructure;

internal sealed record ProcessResult(string CommandLine, int ExitCode, string StdOut, string StdErr)
{
    public bool Succeeded => ExitCode == 0;

    public string Describe() =>
        $"`{CommandLine}` exited with {ExitCode}.\n--- stdout ---\n{StdOut.TrimEnd()}\n--- stderr ---\n{StdErr.TrimEnd()}";
}

/// <summary>Runs a short-lived helper (initdb, pg_ctl, chown) with a hard timeout and captured output.</summary>
internal static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        TimeSpan timeout,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        var commandLine = string.Join(' ', arguments.Prepend(fileName));
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);

        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start `{commandLine}`.");
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException(
                $"`{commandLine}` did not finish within {timeout.TotalSeconds:0} s and was killed.\n" +
                $"--- stdout ---\n{Read(stdout)}\n--- stderr ---\n{Read(stderr)}");
        }

        // WaitForExitAsync has also drained the redirected streams by now.
        return new ProcessResult(commandLine, process.ExitCode, Read(stdout), Read(stderr));
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.AppendLine(line);
        }
    }

    private static string Read(StringBuilder buffer)
    {
        lock (buffer)
        {
            return buffer.ToString();
        }
    }
}
