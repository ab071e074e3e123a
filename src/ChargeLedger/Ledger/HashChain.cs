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

    public static string Compute(string previousHash, string streamKey, long version, string eventTypeName, JsonElement data)
    {
        var canonical = CanonicalJson.ToUtf8(data);
        var prefix = Encoding.UTF8.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{previousHash}\n{streamKey}\n{version}\n{eventTypeName}\n"));
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(prefix);
        sha.AppendData(canonical);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>A link in a stored chain, as read back from the event store.</summary>
    public sealed record Link(long Version, string EventTypeName, JsonElement Data, string? Hash, string? PreviousHash);

    /// <summary>The version of the first broken link, or null when the whole chain verifies.</summary>
    public static long? FirstBrokenLink(string streamKey, IEnumerable<Link> links)
    {
        var previous = "";
        var expectedVersion = 1L;
        foreach (var link in links)
        {
            if (link.Version != expectedVersion || link.PreviousHash != previous ||
                link.Hash != Compute(previous, streamKey, link.Version, link.EventTypeName, link.Data))
            {
                return link.Version;
            }

            previous = link.Hash;
            expectedVersion++;
        }

        return null;
    }
}
