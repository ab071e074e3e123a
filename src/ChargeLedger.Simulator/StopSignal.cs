using System.Runtime.InteropServices;

namespace ChargeLedger.Simulator;

/// <summary>
/// Ctrl+C and SIGTERM cancel <see cref="Source"/> instead of ending the process, so a run can stop cleanly (end its
/// transactions, close its sockets, write its report).
/// </summary>
internal sealed class StopSignal : IDisposable
{
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;
    private readonly Action? _onFirstSignal;

    public StopSignal(Action? onFirstSignal = null)
    {
        _onFirstSignal = onFirstSignal;
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
    }

    public CancellationTokenSource Source { get; } = new();

    public CancellationToken Token => Source.Token;

    public bool Requested => Source.IsCancellationRequested;

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        Source.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true;
        if (!Source.IsCancellationRequested)
        {
            _onFirstSignal?.Invoke();
            Source.Cancel();
        }
    }
}
