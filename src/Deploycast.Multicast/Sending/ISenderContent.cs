namespace Deploycast.Multicast.Sending;

/// <summary>The bytes a sender transmits, read by position (a file, or memory in tests).</summary>
public interface ISenderContent
{
    long Length { get; }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; the range is always inside the content.</summary>
    void Read(long offset, Span<byte> destination);

    /// <summary>
    /// The <see cref="Protocol.Manifests.BlockChecksum"/> of every file block, taken when the manifest was made, or null
    /// when there are none. The sender checks every block it reads: with its checksum when there is one (several GB/s),
    /// else with the block's SHA-256 in the manifest (about 1.2 GB/s).
    /// </summary>
    IReadOnlyList<ulong>? BlockChecksums => null;
}
