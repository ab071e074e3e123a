using ChargeLedger.Transactions;
using Marten.Events.Aggregation;

namespace ChargeLedger.Projections.Energy;

/// <summary>
/// One document per transaction stream (issue 3). Async: the daemon applies a page of events per batch, loading and
/// storing each touched document once, so a rebuild makes no database round trip per event.
/// </summary>
public partial class EnergyProjection : SingleStreamProjection<EnergySessionView, string>
{
    public const string ProjectionName = "Energy";

    public EnergyProjection()
    {
        Name = ProjectionName;

        // Its page size is its group's (ProjectionRegistration: 5,000 events; most events are MeterValuesRecorded of a
        // few hundred concurrent sessions, and a big page updates each session document once instead of many times).
    }

    public static EnergySessionView Create(TransactionStarted e) => EnergyApportioning.Start(e);

    public static void Apply(MeterValuesRecorded e, EnergySessionView view) => EnergyApportioning.Record(view, e.Samples);

    public static void Apply(TransactionStopped e, EnergySessionView view) => EnergyApportioning.Stop(view, e);
}
