using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ChargeLedger.Ledger;

/// <summary>
/// The tamper-evident chain of a transaction stream: each event's hash is SHA-256 over the previous hash, the stream
/// key, the event's version and type name and its canonical JSON. Stored in the event's headers ("hash",
/// "previousHash"); any edit, deletion or reordering of a stored event breaks every later link.
/// </summary>
public static class HashChain
{
    public const string HashHeader = "hash";
    public const string PreviousHashHeader = "previousHash";

    public static string Compute(string previousHash, string streamKey, long version, string eventTypeName, JsonElement data) =>
        Compute(previousHash, streamKey, version, eventTypeName, data, new ArrayBufferWriter<byte>(1024));

    /// <summary>
    /// The same, with the hashed bytes staged in <paramref name="scratch"/> (emptied first), so a writer sealing a batch of
    /// events reuses one buffer instead of growing a new one per event.
    /// </summary>
    public static string Compute(string previousHash, string streamKey, long version, string eventTypeName, JsonElement data,
        ArrayBufferWriter<byte> scratch)
    {
        scratch.ResetWrittenCount();
        Append(scratch, previousHash);
        Append(scratch, streamKey);
        var digits = scratch.GetSpan(21);
        version.TryFormat(digits, out var written, default, CultureInfo.InvariantCulture);
        digits[written] = (byte)'\n';
        scratch.Advance(written + 1);
        Append(scratch, eventTypeName);
        CanonicalJson.WriteTo(scratch, data);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(scratch.WrittenSpan, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The text's UTF-8 and a newline (the prefix's field separator).</summary>
    private static void Append(ArrayBufferWriter<byte> output, string text)
    {
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length) + 1);
        var written = Encoding.UTF8.GetBytes(text, span);
        span[written] = (byte)'\n';
        output.Advance(written + 1);
    }

    /// <summary>A link in a stored chain, as read back from the event store.</summary>
    public sealed record Link(long Version, string EventTypeName, JsonElement Data, string? Hash, string? PreviousHash);

    /// <summary>The version of the first broken link, or null when the whole chain verifies.</summary>
    public static long? FirstBrokenLink(string streamKey, IEnumerable<Link> links)
    {
        var previous = "";
        var expectedVersion = 1L;
        var scratch = new ArrayBufferWriter<byte>(8192);
        foreach (var link in links)
        {
            if (link.Version != expectedVersion || link.PreviousHash != previous ||
                link.Hash != Compute(previous, streamKey, link.Version, link.EventTypeName, link.Data, scratch))
            {
                return link.Version;
            }

            previous = link.Hash;
            expectedVersion++;
        }

        return null;
    }
}
