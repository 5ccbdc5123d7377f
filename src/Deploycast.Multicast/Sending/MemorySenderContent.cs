namespace Deploycast.Multicast.Sending;

/// <summary>Content held in memory (tests and small payloads), with the block checksums to check reads with, if any
/// (see <see cref="ISenderContent.ChecksumOf"/>).</summary>
public sealed class MemorySenderContent(ReadOnlyMemory<byte> bytes, ulong[]? checksums = null) : ISenderContent
{
    public long Length => bytes.Length;

    public void Read(long offset, Span<byte> destination) => bytes.Span.Slice((int)offset, destination.Length).CopyTo(destination);

    /// <inheritdoc />
    public ulong? ChecksumOf(int block) => checksums is not null && (uint)block < (uint)checksums.Length ? checksums[block] : null;
}
