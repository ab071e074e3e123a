using ChargeLedger.Alarms;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace ChargeLedger.Projections.Alarms;

/// <summary>
/// The alarm read model, one document per alarm stream. Deterministic: every field comes from the alarm's own events
/// (the evaluator already took its times from the triggering events), so a rebuild gives the same documents.
/// </summary>
public partial class AlarmProjection : SingleStreamProjection<AlarmView, string>
{
    public const string ProjectionName = "Alarms";

    public AlarmProjection()
    {
        Name = ProjectionName;
    }

    public static AlarmView Create(IEvent<AlarmRaised> e) => new()
    {
        Id = e.StreamKey!,
        AlarmId = e.Data.AlarmId,
        Source = e.Data.Source,
        Kind = e.Data.Kind,
        Severity = e.Data.Severity,
        RaisedAt = e.Data.RaisedAt,
        RaisedSequence = e.Data.TriggerSequence,
        Detail = new Dictionary<string, string>(e.Data.Detail, StringComparer.Ordinal),
        StationId = e.Data.StationId,
        ChargePointId = e.Data.ChargePointId,
        ConnectorId = e.Data.ConnectorId,
        DeviceId = e.Data.DeviceId,
        RuleId = e.Data.RuleId,
        Active = true,
    };

    /// <summary>The first acknowledgement counts; a second one (two operators at once) changes nothing.</summary>
    public static void Apply(AlarmAcknowledged e, AlarmView view)
    {
        if (view.AcknowledgedAt is not null)
        {
            return;
        }

        view.AcknowledgedAt = e.AcknowledgedAt;
        view.AcknowledgedBy = e.AcknowledgedBy;
        view.AcknowledgementNote = e.Note;
    }

    public static void Apply(AlarmCleared e, AlarmView view)
    {
        view.Active = false;
        view.ClearedAt = e.ClearedAt;
        view.ClearReason = e.Reason;
    }
}
