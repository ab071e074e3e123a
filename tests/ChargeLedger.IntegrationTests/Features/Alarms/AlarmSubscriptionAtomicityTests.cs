using ChargeLedger.Access;
using ChargeLedger.Alarms;
using ChargeLedger.IntegrationTests.Infrastructure;
using ChargeLedger.Shared;

namespace ChargeLedger.IntegrationTests.Features.Alarms;

/// <summary>A host of its own: its alarm subscription is made to fail on purpose.</summary>
[CollectionDefinition]
public sealed class AlarmAtomicityCollection : ICollectionFixture<LedgerHost>;

/// <summary>
/// The alarm subscription's writes (alarm events, evaluator state) and its progress commit in one transaction (Marten's
/// subscription runner queues all three in one ProjectionUpdateBatch): when writing the state fails, no alarm event is
/// left behind and the progress does not pass the event, and once the failure is gone the alarm is raised exactly once.
/// </summary>
[Collection(typeof(AlarmAtomicityCollection))]
public sealed class AlarmSubscriptionAtomicityTests(PostgresServer server, LedgerHost host)
{
    [Fact]
    public async Task a_failed_commit_leaves_neither_alarm_nor_progress_and_the_retry_raises_the_alarm_once()
    {
        var (cp, credentials) = await host.BootedChargePointAsync();
        await using var _ = cp;
        await cp.StatusAsync(1, "Available");
        await host.WaitForProjectionsAsync();

        // The failure counter is a sequence: nextval survives the rollback of the transaction it ran in.
        await server.ExecuteAsSuperuserAsync(host,
            $"""
            create sequence public.alarm_state_failures;
            create function public.fail_alarm_state() returns trigger language plpgsql as $$
            begin
              if new.id = '{credentials.Id}' then
                perform nextval('public.alarm_state_failures');
                raise exception 'injected failure writing the alarm state of %', new.id;
              end if;
              return new;
            end $$;
            create trigger fail_alarm_state before insert or update on chargeledger.mt_doc_chargepointalarmstate
              for each row execute function public.fail_alarm_state();
            """);
        try
        {
            await cp.CallAsync("StatusNotification", new { connectorId = 1, errorCode = "GroundFailure", status = "Faulted", timestamp = Scenarios.SessionStart });
            var faultSequence = (await host.StreamAsync(StreamKeys.ChargePoint(credentials.Id)))[^1].Sequence;

            await Eventually.ReturnsAsync(
                () => server.ScalarAsSuperuserAsync<long>(host, "select case when is_called then last_value else 0 end from public.alarm_state_failures"),
                failures => failures >= 1, "the subscription tried to commit the page with the fault");

            (await AlarmEventsAsync(credentials.Id)).ShouldBe(0, "no alarm event without its state");
            (await ProgressAsync()).ShouldBeLessThan(faultSequence, "no progress past an event whose alarms are not stored");
        }
        finally
        {
            await server.ExecuteAsSuperuserAsync(host, "drop trigger fail_alarm_state on chargeledger.mt_doc_chargepointalarmstate");
        }

        await host.WaitForProjectionsAsync();

        (await AlarmEventsAsync(credentials.Id)).ShouldBe(1);
        var alarm = (await host.Api(Roles.Operator).GetJsonAsync($"/api/alarms?active=true&chargePointId={credentials.Id}")).EnumerateArray()
            .ShouldHaveSingleItem();
        alarm.GetProperty("kind").GetString().ShouldBe(AlarmKinds.ConnectorFaulted);
    }

    private Task<long> AlarmEventsAsync(string chargePointId) => server.ScalarAsSuperuserAsync<long>(host,
        "select count(*) from chargeledger.mt_events where stream_id like $1", StreamKeys.Alarm($"{AlarmKinds.ConnectorFaulted}.{chargePointId}.%"));

    private Task<long> ProgressAsync() => server.ScalarAsSuperuserAsync<long>(host,
        "select last_seq_id from chargeledger.mt_event_progression where name = $1", AlarmSubscription.SubscriptionName + ":All");
}
