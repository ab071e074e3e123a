using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ChargeLedger.IntegrationTests.Infrastructure;

public sealed record CapturedLog(string Category, LogLevel Level, string Message);

/// <summary>An in-memory logger provider, so a test can assert what the host logged (e.g. one error per failure).</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();

    public IReadOnlyList<CapturedLog> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<CapturedLog> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                entries.Enqueue(new CapturedLog(category, logLevel, formatter(state, exception)));
            }
        }
    }
}
