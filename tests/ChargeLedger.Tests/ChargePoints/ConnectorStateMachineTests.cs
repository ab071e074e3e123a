using ChargeLedger.ChargePoints;

namespace ChargeLedger.Tests.ChargePoints;

public class ConnectorStateMachineTests
{
    // OCPP 1.6 §4.9, in the spec's own order: rows A-I are the state before, columns 1-9 the state after.
    // Note the order differs from the enum's (SuspendedEV is 4, SuspendedEVSE is 5), so nothing here relies on ordinals.
    private static readonly ConnectorStatus[] SpecOrder =
    [
        ConnectorStatus.Available, ConnectorStatus.Preparing, ConnectorStatus.Charging, ConnectorStatus.SuspendedEV,
        ConnectorStatus.SuspendedEVSE, ConnectorStatus.Finishing, ConnectorStatus.Reserved, ConnectorStatus.Unavailable,
        ConnectorStatus.Faulted,
    ];

    // 'x' = the spec lists the transition (e.g. A2), '.' = it does not, '=' = same status (the diagonal is empty in the
    // spec; a repeated status with other error data is not a transition and is treated as expected).
    private static readonly string[] SpecTable =
    [
        //    123456789
        /* A */ "=xxxx.xxx",
        /* B */ "x=xxxx..x",
        /* C */ "x.=xxx.xx",
        /* D */ "x.x=xx.xx",
        /* E */ "x.xx=x.xx",
        /* F */ "xx...=.xx",
        /* G */ "xx....=xx",
        /* H */ "xxxxx..=x",
        /* I */ "xxxxxxxx=",
    ];

    /// <summary>What the spec table says, read straight from <see cref="SpecTable"/> (shared with the handler tests).</summary>
    internal static bool SpecExpects(ConnectorStatus from, ConnectorStatus to) =>
        SpecTable[Array.IndexOf(SpecOrder, from)][Array.IndexOf(SpecOrder, to)] != '.';

    public static TheoryData<string, ConnectorStatus, ConnectorStatus, bool> AllPairs()
    {
        var data = new TheoryData<string, ConnectorStatus, ConnectorStatus, bool>();
        for (var row = 0; row < 9; row++)
        {
            for (var column = 0; column < 9; column++)
            {
                var cell = $"{(char)('A' + row)}{column + 1}";
                data.Add(cell, SpecOrder[row], SpecOrder[column], SpecTable[row][column] != '.');
            }
        }

        return data;
    }

    [Fact]
    public void the_table_covers_all_81_pairs_and_lists_the_spec_transitions()
    {
        AllPairs().Count.ShouldBe(81);
        SpecTable.Sum(r => r.Count(c => c == 'x')).ShouldBe(7 + 6 + 6 + 6 + 6 + 4 + 4 + 6 + 8);
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void transition_is_expected_exactly_when_the_spec_table_lists_it(string cell, ConnectorStatus from, ConnectorStatus to, bool expected) =>
        ConnectorStateMachine.IsExpected(from, to).ShouldBe(expected, $"§4.9 cell {cell}: {from} -> {to}");

    [Theory]
    [InlineData(ConnectorStatus.Available, ConnectorStatus.Finishing)]
    [InlineData(ConnectorStatus.Charging, ConnectorStatus.Preparing)]
    [InlineData(ConnectorStatus.Preparing, ConnectorStatus.Reserved)]
    [InlineData(ConnectorStatus.Unavailable, ConnectorStatus.Finishing)]
    public void well_known_gaps_in_the_table_are_not_expected(ConnectorStatus from, ConnectorStatus to) =>
        ConnectorStateMachine.IsExpected(from, to).ShouldBeFalse();

    [Fact]
    public void faulted_may_become_anything()
    {
        foreach (var to in Enum.GetValues<ConnectorStatus>())
        {
            ConnectorStateMachine.IsExpected(ConnectorStatus.Faulted, to).ShouldBeTrue($"Faulted -> {to}");
        }
    }

    [Theory]
    [InlineData(ConnectorStatus.Available)]
    [InlineData(ConnectorStatus.Finishing)]
    [InlineData(ConnectorStatus.Faulted)]
    public void a_first_report_is_always_expected(ConnectorStatus to) =>
        ConnectorStateMachine.IsExpected(null, to).ShouldBeTrue();

    public static TheoryData<ConnectorStatus, bool> ConnectorZeroStatuses() => new()
    {
        { ConnectorStatus.Available, true },
        { ConnectorStatus.Preparing, false },
        { ConnectorStatus.Charging, false },
        { ConnectorStatus.SuspendedEVSE, false },
        { ConnectorStatus.SuspendedEV, false },
        { ConnectorStatus.Finishing, false },
        { ConnectorStatus.Reserved, false },
        { ConnectorStatus.Unavailable, true },
        { ConnectorStatus.Faulted, true },
    };

    [Theory]
    [MemberData(nameof(ConnectorZeroStatuses))]
    public void connector_zero_only_reports_available_unavailable_or_faulted(ConnectorStatus status, bool valid)
    {
        ConnectorStateMachine.IsValidFor(0, status).ShouldBe(valid);
        ConnectorStateMachine.IsValidFor(1, status).ShouldBeTrue();
    }
}
