using ChargeLedger.ChargePoints;
using ChargeLedger.Projections.Uptime;
using ChargeLedger.Stations;
using JasperFx.Events;

namespace ChargeLedger.Tests.Uptime;

/// <summary>Which time each event contributes (CONTRACT.md: status times are the charge point's, connectivity times the server's).</summary>
public class UptimeTransitionProjectionTests
{
    private static readonly DateTimeOffset Device = new(2026, 1, 14, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Server = Device.AddMinutes(3);

    private static UptimeTransition? Transition<T>(T data, long sequence = 42)
        where T : notnull
    {
        var mapped = UptimeTransitionProjection.TransitionOf(new Event<T>(data) { Sequence = sequence });
        mapped?.ChargePointId.ShouldBe("CP-1");
        return mapped?.Transition;
    }

    [Fact]
    public void a_status_change_is_placed_at_the_charge_points_timestamp()
    {
        Transition(new ConnectorStatusChanged("CP-1", 2, ConnectorStatus.Faulted, "GroundFailure", null, null, null, Device, Server))
            .ShouldBe(new UptimeTransition(2, Device, 42, UptimeTransitionKind.Status, "Faulted"));
    }

    [Fact]
    public void connectivity_changes_are_placed_at_server_time()
    {
        Transition(new ChargePointConnected("CP-1", "c1", null, Server))
            .ShouldBe(new UptimeTransition(0, Server, 42, UptimeTransitionKind.Connectivity, "Online"));
        Transition(new ChargePointConnectionReplaced("CP-1", "c1", "c2", Server))
            .ShouldBe(new UptimeTransition(0, Server, 42, UptimeTransitionKind.Connectivity, "Online"));
        Transition(new ChargePointDisconnected("CP-1", "c1", "Idle timeout", Server))
            .ShouldBe(new UptimeTransition(0, Server, 42, UptimeTransitionKind.Connectivity, "Offline"));
        Transition(new ChargePointHeardAgain("CP-1", "c1", Device, Server))
            .ShouldBe(new UptimeTransition(0, Server, 42, UptimeTransitionKind.Connectivity, "Online"));
    }

    [Fact]
    public void a_silence_counts_from_its_detection_not_from_the_last_message()
    {
        Transition(new ChargePointWentSilent("CP-1", "c1", Device, Server))
            .ShouldBe(new UptimeTransition(0, Server, 42, UptimeTransitionKind.Connectivity, "Silent"));
    }

    [Fact]
    public void an_operator_availability_setting_is_placed_when_it_was_accepted()
    {
        Transition(new ConnectorAvailabilitySet("CP-1", 0, ConnectorAvailability.Inoperative, "cmd-1", "ops", Server))
            .ShouldBe(new UptimeTransition(0, Server, 42, UptimeTransitionKind.Availability, "Inoperative"));
    }

    [Fact]
    public void events_uptime_does_not_need_map_to_nothing()
    {
        Transition(new FirmwareStatusChanged("CP-1", "Installed", Server)).ShouldBeNull();
        UptimeTransitionProjection.TransitionOf(new Event<StationRegistered>(new StationRegistered("ST-1", "Depot", "Europe/Berlin", Server)))
            .ShouldBeNull();
    }

    [Fact]
    public void the_projection_reads_only_the_event_types_it_maps_and_owns_its_three_tables()
    {
        var projection = new UptimeTransitionProjection("chargeledger");

        projection.IncludedEventTypes.ShouldBe(
        [
            typeof(ChargePointRegistered), typeof(StationRegistered), typeof(ConnectorStatusChanged), typeof(ChargePointConnected),
            typeof(ChargePointConnectionReplaced), typeof(ChargePointDisconnected), typeof(ChargePointWentSilent),
            typeof(ChargePointHeardAgain), typeof(ConnectorAvailabilitySet),
        ], ignoreOrder: true);
        projection.SchemaObjects.Select(o => o.Identifier.QualifiedName).ShouldBe(
            ["chargeledger.uptime_transitions", "chargeledger.uptime_charge_points", "chargeledger.uptime_stations"]);
    }
}
