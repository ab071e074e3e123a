using ChargeLedger.IdTags;
using ChargeLedger.Ledger;

namespace ChargeLedger.Tests.IdTags;

public class AuthorizeTests
{
    private static readonly DateTimeOffset Now = Scenario.Now;

    private static IdTag Tag(DateTimeOffset? expiresAt = null, string? parent = null, params object[] then) =>
        IdTag.Fold([new IdTagIssued("TAG-1", expiresAt, parent, Now.AddDays(-30)), .. then])!;

    private static IdTagBlocked Blocked() => new("TAG-1", Now.AddDays(-1));

    [Fact]
    public void unknown_tag_is_invalid()
    {
        IdTag.Authorize(null, Now).ShouldBe(new Authorization(AuthorizationStatus.Invalid, null, null));
    }

    [Fact]
    public void valid_tag_is_accepted_with_its_expiry_and_parent()
    {
        var expiry = Now.AddDays(1);

        IdTag.Authorize(Tag(expiry, "FLEET-7"), Now).ShouldBe(new Authorization(AuthorizationStatus.Accepted, expiry, "FLEET-7"));
    }

    [Fact]
    public void tag_without_expiry_is_accepted()
    {
        IdTag.Authorize(Tag(), Now).ShouldBe(new Authorization(AuthorizationStatus.Accepted, null, null));
    }

    [Fact]
    public void blocked_tag_is_blocked()
    {
        IdTag.Authorize(Tag(null, "FLEET-7", Blocked()), Now).ShouldBe(new Authorization(AuthorizationStatus.Blocked, null, "FLEET-7"));
    }

    [Fact]
    public void unblocked_tag_is_accepted_again()
    {
        var tag = Tag(null, null, Blocked(), new IdTagUnblocked("TAG-1", Now));

        IdTag.Authorize(tag, Now).Status.ShouldBe(AuthorizationStatus.Accepted);
        tag.Version.ShouldBe(3);
    }

    [Fact]
    public void tag_past_its_expiry_is_expired()
    {
        var expiry = Now.AddTicks(-1);

        IdTag.Authorize(Tag(expiry, "FLEET-7"), Now).ShouldBe(new Authorization(AuthorizationStatus.Expired, expiry, "FLEET-7"));
    }

    [Fact]
    public void expiry_equal_to_now_counts_as_expired()
    {
        IdTag.Authorize(Tag(Now), Now).ShouldBe(new Authorization(AuthorizationStatus.Expired, Now, null));
    }

    [Fact]
    public void expiry_one_tick_after_now_is_still_accepted()
    {
        IdTag.Authorize(Tag(Now.AddTicks(1)), Now).Status.ShouldBe(AuthorizationStatus.Accepted);
    }

    [Fact]
    public void expiry_is_compared_as_an_instant_not_as_local_clock_time()
    {
        var sameInstantInCet = Now.ToOffset(TimeSpan.FromHours(1));

        IdTag.Authorize(Tag(sameInstantInCet), Now).Status.ShouldBe(AuthorizationStatus.Expired);
    }

    [Fact]
    public void changed_expiry_is_used()
    {
        var tag = Tag(Now.AddDays(-1), null, new IdTagExpiryChanged("TAG-1", Now.AddDays(10), Now));

        IdTag.Authorize(tag, Now).ShouldBe(new Authorization(AuthorizationStatus.Accepted, Now.AddDays(10), null));
    }

    [Fact]
    public void blocked_takes_precedence_over_expired()
    {
        var expiry = Now.AddDays(-2);

        IdTag.Authorize(Tag(expiry, "FLEET-7", Blocked()), Now).ShouldBe(new Authorization(AuthorizationStatus.Blocked, expiry, "FLEET-7"));
    }

    [Fact]
    public void the_authorize_handler_is_a_read_that_appends_nothing()
    {
        var decision = AuthorizeIdTagHandler.Handle(new AuthorizeIdTag(Scenario.ChargePoint(), "TAG-1"), Tag(null, "FLEET-7"), Scenario.Clock());

        decision.Result.ShouldBe(new Authorization(AuthorizationStatus.Accepted, null, "FLEET-7"));
        decision.Change.ShouldBe(LedgerChange.None);
    }
}
