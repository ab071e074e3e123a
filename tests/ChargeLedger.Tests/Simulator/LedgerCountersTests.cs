using ChargeLedger.Simulator.Bench;

namespace ChargeLedger.Tests.Simulator;

public class LedgerCountersTests
{
    private const string Scrape = """
        # TYPE chargeledger_ledger_batch_size histogram
        chargeledger_ledger_batch_size_bucket{otel_scope_name="ChargeLedger.Ledger",le="0"} 0 1733600000000
        chargeledger_ledger_batch_size_bucket{otel_scope_name="ChargeLedger.Ledger",le="+Inf"} 120 1733600000000
        chargeledger_ledger_batch_size_sum{otel_scope_name="ChargeLedger.Ledger"} 4200 1733600000000
        chargeledger_ledger_batch_size_count{otel_scope_name="ChargeLedger.Ledger"} 120 1733600000000
        # TYPE chargeledger_ledger_batch_retries_total counter
        chargeledger_ledger_batch_retries_total{otel_scope_name="ChargeLedger.Ledger"} 2 1733600000000
        chargeledger_ledger_commit_ms_count{new_streams="true"} 99 1733600000000
        """;

    [Fact]
    public void reads_commits_decisions_and_failed_commits_from_the_prometheus_text_whatever_the_labels()
    {
        LedgerCounters.Parse(Scrape).ShouldBe(new LedgerCounters(120, 4200, 2));
        LedgerCounters.Parse(Scrape.Replace(" 1733600000000", "", StringComparison.Ordinal)).ShouldBe(new LedgerCounters(120, 4200, 2));
    }

    [Fact]
    public void a_scrape_without_the_batch_histogram_is_no_reading()
    {
        LedgerCounters.Parse("# nothing here\nother_metric 1\nnovalue\nbroken{le=\"1\" 2\n").ShouldBeNull();
    }

    [Fact]
    public void the_window_is_the_difference_of_two_readings()
    {
        LedgerCounters.Between(new LedgerCounters(120, 4200, 2), new LedgerCounters(1120, 40200, 5)).ShouldBe(new LedgerWindow(1000, 36, 3));
        LedgerCounters.Between(null, new LedgerCounters(1, 1, 0)).ShouldBeNull();
    }
}
