using System.Text.Json.Serialization;
using NodaTime;

namespace ChargeLedger.Projections.Energy;

public enum EnergyLevel
{
    Connector,
    ChargePoint,
    Station,
}

/// <summary>
/// One row of the energy report (CONTRACT.md: stationId, chargePointId, period, energyWh, sessions). chargePointId is
/// null at station level; connectorId appears only at connector level; periodStart/periodEnd are the period in UTC.
/// </summary>
public sealed record EnergyReportRow(
    string StationId,
    string? ChargePointId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? ConnectorId,
    string Period,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    long EnergyWh,
    int Sessions,
    long? PeakPowerW);

/// <summary>
/// Folds session documents into report rows in the stations' own zones. Per period: energy is the sum of the slots
/// in it; sessions counts the transactions active in it (between their start and their stop or latest sample, and
/// always the period of the start); peak power is the highest 15-minute slot value of the sum over connectors of each
/// connector's slot peak (<see cref="EnergySlot.PeakW"/>), i.e. at charge point and station level the peaks of
/// connectors charging in the same slot add up. Periods without a session are left out.
/// Sessions must arrive grouped by station, charge point and connector (the query orders by them); memory then holds
/// one group's slots at a time, whatever the number of sessions.
/// </summary>
public sealed class EnergyReportBuilder(
    LocalDate from,
    LocalDate to,
    EnergyGrouping grouping,
    EnergyLevel level,
    IReadOnlyDictionary<string, DateTimeZone> zones)
{
    private readonly Dictionary<string, IReadOnlyList<EnergyPeriod>> _periods = new(StringComparer.Ordinal);
    private readonly HashSet<(string, string?, int?)> _finishedGroups = [];
    private readonly List<EnergyReportRow> _rows = [];
    private Group? _group;

    public static IReadOnlyList<EnergyReportRow> Build(IEnumerable<EnergySessionView> sessions, LocalDate from, LocalDate to, EnergyGrouping grouping,
        EnergyLevel level, IReadOnlyDictionary<string, DateTimeZone> zones)
    {
        var builder = new EnergyReportBuilder(from, to, grouping, level, zones);
        foreach (var session in sessions.OrderBy(s => s.StationId, StringComparer.Ordinal).ThenBy(s => s.ChargePointId, StringComparer.Ordinal)
                     .ThenBy(s => s.ConnectorId))
        {
            builder.Add(session);
        }

        return builder.Complete();
    }

    public void Add(EnergySessionView session)
    {
        var key = (session.StationId, level == EnergyLevel.Station ? null : session.ChargePointId,
            level == EnergyLevel.Connector ? session.ConnectorId : (int?)null);
        if (_group is null || _group.Key != key)
        {
            FinishGroup();
            if (!_finishedGroups.Add(key))
            {
                throw new InvalidOperationException($"Sessions of {key} arrived apart; they must be grouped by station, charge point and connector.");
            }

            _group = new Group(key, PeriodsOf(session.StationId));
        }

        _group.Add(session);
    }

    /// <summary>The rows ordered by station, charge point, connector and period.</summary>
    public IReadOnlyList<EnergyReportRow> Complete()
    {
        FinishGroup();
        return [.. _rows.OrderBy(r => r.StationId, StringComparer.Ordinal).ThenBy(r => r.ChargePointId, StringComparer.Ordinal)
            .ThenBy(r => r.ConnectorId).ThenBy(r => r.PeriodStart)];
    }

    /// <summary>A station whose registration cannot be found is reported in UTC.</summary>
    private IReadOnlyList<EnergyPeriod> PeriodsOf(string stationId)
    {
        if (!_periods.TryGetValue(stationId, out var periods))
        {
            periods = EnergyPeriods.For(zones.GetValueOrDefault(stationId) ?? DateTimeZone.Utc, from, to, grouping);
            _periods[stationId] = periods;
        }

        return periods;
    }

    private void FinishGroup()
    {
        if (_group is not null)
        {
            _rows.AddRange(_group.Rows());
            _group = null;
        }
    }

    private sealed class Group((string StationId, string? ChargePointId, int? ConnectorId) key, IReadOnlyList<EnergyPeriod> periods)
    {
        private readonly long[] _energyWh = new long[periods.Count];
        private readonly int[] _sessions = new int[periods.Count];
        private readonly Dictionary<long, long> _slotPeakSumW = [];
        private readonly Dictionary<long, long> _connectorSlotPeakW = [];
        private readonly HashSet<(string, int)> _finishedConnectors = [];
        private (string ChargePointId, int ConnectorId)? _connector;

        public (string StationId, string? ChargePointId, int? ConnectorId) Key { get; } = key;

        public void Add(EnergySessionView session)
        {
            var connector = (session.ChargePointId, session.ConnectorId);
            if (_connector != connector)
            {
                FinishConnector();
                if (!_finishedConnectors.Add(connector))
                {
                    throw new InvalidOperationException($"Sessions of connector {connector} arrived apart; they must be grouped by connector.");
                }

                _connector = connector;
            }

            CountSession(session);
            foreach (var slot in session.Slots)
            {
                var index = EnergyPeriods.IndexOf(periods, EnergyPeriods.SlotStart(slot.Slot));
                if (index < 0)
                {
                    continue;
                }

                _energyWh[index] += slot.EnergyWh;
                if (slot.PeakW is { } w)
                {
                    // One connector delivers one session at a time: its peak in a slot is the highest of its sessions'.
                    _connectorSlotPeakW[slot.Slot] = Math.Max(_connectorSlotPeakW.GetValueOrDefault(slot.Slot), w);
                }
            }
        }

        /// <summary>Active in a period: the period holds its start, or the span (start, end) overlaps it.</summary>
        private void CountSession(EnergySessionView session)
        {
            for (var i = EnergyPeriods.FirstEndingAfter(periods, session.StartedAt); i < periods.Count; i++)
            {
                if (periods[i].Start > session.StartedAt && periods[i].Start >= session.LastAt)
                {
                    break;
                }

                _sessions[i]++;
            }
        }

        private void FinishConnector()
        {
            foreach (var (slot, w) in _connectorSlotPeakW)
            {
                _slotPeakSumW[slot] = _slotPeakSumW.GetValueOrDefault(slot) + w;
            }

            _connectorSlotPeakW.Clear();
        }

        public IEnumerable<EnergyReportRow> Rows()
        {
            FinishConnector();
            var peakW = new long?[periods.Count];
            foreach (var (slot, w) in _slotPeakSumW)
            {
                var index = EnergyPeriods.IndexOf(periods, EnergyPeriods.SlotStart(slot));
                if (index >= 0)
                {
                    peakW[index] = Math.Max(peakW[index] ?? 0, w);
                }
            }

            for (var i = 0; i < periods.Count; i++)
            {
                if (_sessions[i] > 0 || _energyWh[i] > 0)
                {
                    yield return new EnergyReportRow(Key.StationId, Key.ChargePointId, Key.ConnectorId, periods[i].Label, periods[i].Start,
                        periods[i].End, _energyWh[i], _sessions[i], peakW[i]);
                }
            }
        }
    }
}
