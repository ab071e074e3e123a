using System.Security.Cryptography;

namespace ChargeLedger.Ledger;

/// <summary>
/// Event ids as <see cref="Guid.CreateVersion7()"/> makes them (RFC 9562 version 7: 48 bits of Unix milliseconds, then 74
/// cryptographically random bits), with the random bits drawn for <see cref="IdsPerDraw"/> ids at a time. Guid.CreateVersion7
/// asks the kernel for 16 random bytes per id, a getrandom system call each: under the OCPP and telemetry loads every
/// appended event paid one (about 1 % of the host's CPU in the profile, README "Performance").
/// </summary>
public static class EventIds
{
    public const int IdsPerDraw = 256;
    private const int RandomBytesPerId = 10;

    [ThreadStatic] private static byte[]? t_random;
    [ThreadStatic] private static int t_left;

    public static Guid NewVersion7() => NewVersion7(DateTimeOffset.UtcNow);

    public static Guid NewVersion7(DateTimeOffset timestamp)
    {
        var milliseconds = timestamp.ToUnixTimeMilliseconds();
        ArgumentOutOfRangeException.ThrowIfNegative(milliseconds, nameof(timestamp));
        var random = t_random ??= new byte[IdsPerDraw * RandomBytesPerId];
        if (t_left == 0)
        {
            RandomNumberGenerator.Fill(random);
            t_left = IdsPerDraw;
        }

        t_left--;
        Span<byte> id = stackalloc byte[16];
        for (var i = 0; i < 6; i++)
        {
            id[i] = (byte)(milliseconds >> (8 * (5 - i)));
        }

        random.AsSpan(t_left * RandomBytesPerId, RandomBytesPerId).CopyTo(id[6..]);
        id[6] = (byte)(0x70 | (id[6] & 0x0F)); // version 7
        id[8] = (byte)(0x80 | (id[8] & 0x3F)); // variant 10xx
        return new Guid(id, bigEndian: true);
    }
}
