using ChargeLedger.Access;

namespace ChargeLedger.Tests.Access;

public class PasswordHasherTests
{
    // Low cost for speed; the default is asserted separately without hashing.
    private readonly PasswordHasher _hasher = new(iterations: 1_000);

    private const string Password = "correct-horse-battery-staple";

    [Fact]
    public void hash_is_salted_so_two_hashes_of_one_password_differ()
    {
        _hasher.Hash(Password).ShouldNotBe(_hasher.Hash(Password));
    }

    [Fact]
    public void verifies_the_right_password()
    {
        var stored = _hasher.Hash(Password);

        _hasher.Verify(Password, stored).ShouldBeTrue();
        _hasher.Verify(Password, stored).ShouldBeTrue();
    }

    [Fact]
    public void a_hash_verifies_in_another_process_instance()
    {
        new PasswordHasher(5).Verify(Password, _hasher.Hash(Password)).ShouldBeTrue();
    }

    [Theory]
    [InlineData("correct-horse-battery-stapl")]
    [InlineData("Correct-horse-battery-staple")]
    [InlineData("")]
    public void rejects_a_wrong_password(string wrong)
    {
        var stored = _hasher.Hash(Password);

        _hasher.Verify(wrong, stored).ShouldBeFalse();
    }

    [Fact]
    public void a_remembered_verification_does_not_admit_another_password()
    {
        var stored = _hasher.Hash(Password);
        _hasher.Verify(Password, stored).ShouldBeTrue();

        _hasher.Verify("other-password-entirely", stored).ShouldBeFalse();
    }

    [Theory]
    [InlineData("")]
    [InlineData("plaintext")]
    [InlineData("pbkdf2-sha256$1000$c2FsdA==")]
    [InlineData("pbkdf2-sha256$1000$c2FsdA==$aGFzaA==$extra")]
    [InlineData("pbkdf2-sha1$1000$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$-1$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$abc$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$1000$not base64!$aGFzaA==")]
    [InlineData("pbkdf2-sha256$1000$c2FsdA==$not base64!")]
    [InlineData("pbkdf2-sha256$0$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$1000$c2FsdA==$")]
    [InlineData("pbkdf2-sha256$1000$$")]
    public void rejects_malformed_stored_hashes_without_throwing(string stored)
    {
        _hasher.Verify(Password, stored).ShouldBeFalse();
        _hasher.Verify("", stored).ShouldBeFalse();
    }

    [Fact]
    public void the_stored_form_carries_scheme_iteration_count_salt_and_hash()
    {
        var parts = _hasher.Hash(Password).Split('$');

        parts.Length.ShouldBe(4);
        parts[0].ShouldBe("pbkdf2-sha256");
        parts[1].ShouldBe("1000");
        Convert.FromBase64String(parts[2]).Length.ShouldBe(16);
        Convert.FromBase64String(parts[3]).Length.ShouldBe(32);
    }

    [Fact]
    public void default_iteration_count_is_600000()
    {
        PasswordHasher.DefaultIterations.ShouldBe(600_000);
        new PasswordHasher().Hash("x").Split('$')[1].ShouldBe("600000");
    }

    [Fact]
    public void generate_gives_24_characters_from_the_unambiguous_alphabet()
    {
        const string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_";

        var passwords = Enumerable.Range(0, 50).Select(_ => PasswordHasher.Generate()).ToList();

        passwords.ShouldAllBe(p => p.Length == 24 && p.All(c => alphabet.Contains(c, StringComparison.Ordinal)));
        passwords.Distinct().Count().ShouldBe(50);
        PasswordHasher.Generate(40).Length.ShouldBe(40);
    }

    [Fact]
    public void generated_passwords_fit_the_registration_rule()
    {
        PasswordHasher.Generate().ShouldMatch("^[\\x21-\\x7E]{16,40}$");
    }

    [Fact]
    public void a_generated_password_is_stored_as_a_salted_hmac_and_verifies_without_the_slow_hash()
    {
        var (password, stored) = PasswordHasher.Generated();
        var parts = stored.Split('$');

        (parts.Length, parts[0], password.Length).ShouldBe((3, "hmac-sha256", 24));
        Convert.FromBase64String(parts[1]).Length.ShouldBe(16);
        Convert.FromBase64String(parts[2]).Length.ShouldBe(32);
        stored.ShouldNotContain(password);
        _hasher.Verify(password, stored).ShouldBeTrue();
        new PasswordHasher(5).Verify(password, stored).ShouldBeTrue();
        PasswordHasher.Generated().Stored.ShouldNotBe(stored);
    }

    [Fact]
    public async Task a_generated_password_verifies_asynchronously_and_rejects_any_other()
    {
        var (password, stored) = PasswordHasher.Generated();

        (await _hasher.VerifyAsync(password, stored, TestContext.Current.CancellationToken)).ShouldBeTrue();
        (await _hasher.VerifyAsync(password[..^1], stored, TestContext.Current.CancellationToken)).ShouldBeFalse();
        (await _hasher.VerifyAsync(PasswordHasher.Generated().Password, stored, TestContext.Current.CancellationToken)).ShouldBeFalse();
        _hasher.Verify("", stored).ShouldBeFalse();
    }

    [Fact]
    public void a_chosen_password_never_gets_the_fast_form()
    {
        var (password, _) = PasswordHasher.Generated();

        _hasher.Hash(password).ShouldStartWith("pbkdf2-sha256$1000$");
    }

    [Theory]
    [InlineData("hmac-sha256")]
    [InlineData("hmac-sha256$")]
    [InlineData("hmac-sha256$$")]
    [InlineData("hmac-sha256$c2FsdA==$")]
    [InlineData("hmac-sha256$$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=")]
    [InlineData("hmac-sha256$c2FsdA==$aGFzaA==")]
    [InlineData("hmac-sha256$not base64!$aGFzaA==")]
    [InlineData("hmac-sha256$c2FsdA==$aGFzaA==$extra")]
    [InlineData("hmac-sha1$c2FsdA==$aGFzaA==")]
    public async Task rejects_malformed_generated_hashes_without_throwing(string stored)
    {
        _hasher.Verify(Password, stored).ShouldBeFalse();
        _hasher.Verify("", stored).ShouldBeFalse();
        (await _hasher.VerifyAsync(Password, stored, TestContext.Current.CancellationToken)).ShouldBeFalse();
    }

    // Keyed verifiers (RELIABILITY H2): a chosen password's check outlives the process for nodes sharing the key.
    private static readonly PasswordVerifierKey Key = new(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly PasswordVerifierKey OtherKey = new(Enumerable.Range(2, 32).Select(i => (byte)i).ToArray());

    [Fact]
    public async Task a_verifier_made_by_one_node_admits_the_password_on_another_with_the_same_key_without_the_slow_hash()
    {
        var registering = new PasswordHasher(1_000, Key);
        var stored = registering.Hash(Password);
        var verifier = registering.KeyedVerifier(Password, stored)!;
        var restarted = new PasswordHasher(1_000, new PasswordVerifierKey(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray()));

        var check = await restarted.CheckAsync(Password, stored, verifier, TestContext.Current.CancellationToken);

        check.ShouldBe(new PasswordCheck(true, null));
        restarted.Check(Password, stored, verifier).ShouldBe(new PasswordCheck(true, null));
        restarted.SlowChecks.ShouldBe(0);
        verifier.ShouldStartWith($"hmac-sha256-key${Key.Id}$");
        verifier.ShouldNotContain(Password);
    }

    [Fact]
    public async Task a_wrong_password_with_a_valid_verifier_is_refused_by_the_slow_hash_not_the_verifier()
    {
        var hasher = new PasswordHasher(1_000, Key);
        var stored = hasher.Hash(Password);
        var verifier = hasher.KeyedVerifier(Password, stored);

        (await hasher.CheckAsync("correct-horse-battery-stapl", stored, verifier, TestContext.Current.CancellationToken))
            .ShouldBe(new PasswordCheck(false, null));
        hasher.Check("", stored, verifier).ShouldBe(new PasswordCheck(false, null));
        // Refusals cost what they did without verifiers: online guessing is not made cheaper.
        hasher.SlowChecks.ShouldBe(2);
    }

    [Fact]
    public async Task a_verifier_under_another_key_or_for_another_hash_is_void_the_slow_hash_decides_and_a_new_verifier_is_offered()
    {
        var hasher = new PasswordHasher(1_000, Key);
        var stored = hasher.Hash(Password);
        var underOtherKey = new PasswordHasher(1_000, OtherKey).KeyedVerifier(Password, stored);
        var forOtherHash = hasher.KeyedVerifier(Password, hasher.Hash(Password));
        var expected = hasher.KeyedVerifier(Password, stored);

        foreach (var stale in new[] { null, underOtherKey, forOtherHash })
        {
            var fresh = new PasswordHasher(1_000, Key); // no per-process memory of the password
            (await fresh.CheckAsync(Password, stored, stale, TestContext.Current.CancellationToken)).ShouldBe(new PasswordCheck(true, expected));
            fresh.SlowChecks.ShouldBe(1);
        }

        underOtherKey.ShouldNotBe(expected);
        forOtherHash.ShouldNotBe(expected);
    }

    [Fact]
    public async Task a_password_remembered_by_this_process_still_offers_a_verifier_when_the_stored_one_is_missing()
    {
        var hasher = new PasswordHasher(1_000, Key);
        var stored = hasher.Hash(Password);
        hasher.Verify(Password, stored).ShouldBeTrue();

        (await hasher.CheckAsync(Password, stored, null, TestContext.Current.CancellationToken))
            .ShouldBe(new PasswordCheck(true, hasher.KeyedVerifier(Password, stored)));
        hasher.SlowChecks.ShouldBe(1);
    }

    [Fact]
    public async Task without_a_key_there_are_no_verifiers_and_a_verifier_found_in_the_record_is_ignored()
    {
        var keyed = new PasswordHasher(1_000, Key);
        var stored = keyed.Hash(Password);
        var verifier = keyed.KeyedVerifier(Password, stored);
        var unkeyed = new PasswordHasher(1_000);

        unkeyed.KeyedVerifier(Password, stored).ShouldBeNull();
        (await unkeyed.CheckAsync(Password, stored, verifier, TestContext.Current.CancellationToken)).ShouldBe(new PasswordCheck(true, null));
        unkeyed.SlowChecks.ShouldBe(1);
        (await unkeyed.CheckAsync("wrong-password-entirely", stored, verifier, TestContext.Current.CancellationToken)).Valid.ShouldBeFalse();
    }

    [Fact]
    public void generated_passwords_get_no_verifier()
    {
        var hasher = new PasswordHasher(1_000, Key);
        var (password, stored) = PasswordHasher.Generated();

        hasher.KeyedVerifier(password, stored).ShouldBeNull();
        hasher.Check(password, stored, null).ShouldBe(new PasswordCheck(true, null));
        hasher.SlowChecks.ShouldBe(0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hmac-sha256-key")]
    [InlineData("hmac-sha256-key$$")]
    [InlineData("hmac-sha256-key${id}$")]
    [InlineData("hmac-sha256-key${id}$not base64!")]
    [InlineData("hmac-sha256-key${id}$aGFzaA==")]
    [InlineData("hmac-sha256-key${id}$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo")]
    [InlineData("hmac-sha256-key${id}$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("hmac-sha256-key${id}$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=$extra")]
    [InlineData("hmac-sha256${id}$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public async Task malformed_or_forged_verifiers_never_admit_a_wrong_password_and_never_throw(string template)
    {
        var hasher = new PasswordHasher(1_000, Key);
        var stored = hasher.Hash(Password);
        var verifier = template.Replace("{id}", Key.Id, StringComparison.Ordinal);

        (await hasher.CheckAsync("wrong-password-entirely", stored, verifier, TestContext.Current.CancellationToken)).Valid.ShouldBeFalse();
        (await hasher.CheckAsync(Password, stored, verifier, TestContext.Current.CancellationToken)).ShouldBe(
            new PasswordCheck(true, hasher.KeyedVerifier(Password, stored)));
        hasher.SlowChecks.ShouldBe(2);
    }

    [Fact]
    public void a_key_names_itself_by_eight_hex_digits_and_must_have_32_bytes()
    {
        Key.Id.ShouldMatch("^[0-9a-f]{8}$");
        Key.Id.ShouldNotBe(OtherKey.Id);
        Should.Throw<ArgumentException>(() => new PasswordVerifierKey(new byte[31]));
    }
}
