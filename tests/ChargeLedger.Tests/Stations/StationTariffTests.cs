using System.Globalization;
using ChargeLedger.Stations;

namespace ChargeLedger.Tests.Stations;

public class StationTariffTests
{
    private static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static TariffAssignedToStation Assigned(string tariffId, string validFrom, string assignedAt) =>
        new("ST-1", tariffId, Utc(validFrom), "ops", Utc(assignedAt));

    [Fact]
    public void the_tariff_in_force_is_the_assignment_with_the_latest_valid_from_not_after_the_moment()
    {
        var station = Station.Fold(
        [
            new StationRegistered("ST-1", "Depot", "Europe/Berlin", Utc("2026-01-01T00:00:00Z")),
            Assigned("T-A", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
            Assigned("T-C", "2026-06-01T00:00:00Z", "2026-02-01T00:00:00Z"),  // scheduled ahead
            Assigned("T-B", "2026-03-01T00:00:00Z", "2026-03-05T00:00:00Z"),  // backdated
            Assigned("T-D", "2026-03-01T00:00:00Z", "2026-03-06T00:00:00Z"),  // same validFrom, made later: wins
        ])!;

        station.Version.ShouldBe(5);
        station.TariffAt(Utc("2025-12-31T23:59:59Z")).ShouldBeNull();
        station.TariffAt(Utc("2026-02-15T00:00:00Z"))!.TariffId.ShouldBe("T-A");
        station.TariffAt(Utc("2026-03-01T00:00:00Z"))!.TariffId.ShouldBe("T-D");
        station.TariffAt(Utc("2026-05-31T23:59:59Z"))!.TariffId.ShouldBe("T-D");
        station.TariffAt(Utc("2026-06-01T00:00:00Z"))!.TariffId.ShouldBe("T-C");
    }
}
