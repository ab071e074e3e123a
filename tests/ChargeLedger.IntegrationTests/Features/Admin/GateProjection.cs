using ChargeLedger.Stations;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace ChargeLedger.IntegrationTests.Features.Admin;

/// <summary>
/// A test-only async projection with no storage that waits at a gate for every StationRegistered it applies, so a test
/// can hold a rebuild in flight for as long as it needs (no timing luck) and then let it finish.
/// </summary>
public sealed partial class GateProjection : EventProjection
{
    public const string ProjectionName = "TestGate";
    private static TaskCompletionSource _gate = Opened();

    public GateProjection()
    {
        Name = ProjectionName;
        IncludeType<StationRegistered>();
    }

    /// <summary>How many events the projection has started applying.</summary>
    public static int Applied => Volatile.Read(ref _applied);

    public static void Close() => Volatile.Write(ref _gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public static void Open() => Volatile.Read(ref _gate).TrySetResult();

    public override async ValueTask ApplyAsync(IDocumentOperations operations, IEvent e, CancellationToken cancellation)
    {
        Interlocked.Increment(ref _applied);
        await Volatile.Read(ref _gate).Task.WaitAsync(cancellation);
    }

    private static int _applied;

    private static TaskCompletionSource Opened()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }
}
