using ChargeLedger.Telemetry;
using Marten.Events.Projections;

namespace ChargeLedger.Projections.Grid;

/// <summary>One document per meter and UTC day (<see cref="GridApportioning"/>); Async, like every read model.</summary>
public sealed class GridMeterProjection : MultiStreamProjection<GridMeterDayView, string>
{
    public const string ProjectionName = "Grid";

    public GridMeterProjection()
    {
        Name = ProjectionName;
        // Only meter readings of the import register route to a document; other telemetry (temperatures, cabinet
        // doors) makes none.
        Identities<TelemetryRecorded>(e => GridApportioning.RegisterWh(e) is null ? [] : [GridApportioning.IdOf(e)]);
        // Telemetry arrives in large volumes of small events; a bigger page updates each day document once per page.
        Options.BatchSize = 5000;
    }

    public static GridMeterDayView Create(TelemetryRecorded e) => GridApportioning.Create(e);

    public static void Apply(TelemetryRecorded e, GridMeterDayView view) => GridApportioning.Apply(view, e);
}
