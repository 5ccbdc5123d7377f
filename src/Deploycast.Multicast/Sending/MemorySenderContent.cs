namespace Deploycast.Multicast.Sending;

/// <summary>Content held in memory (tests and small payloads), with the block checksums to check reads with, if any
/// (see <see cref="ISenderContent.BlockChecksums"/>).</summary>
public sealed class MemorySenderContent(ReadOnlyMemory<byte> bytes, ulong[]? checksums = null) : ISenderContent
{
    public long Length => bytes.Length;

    public void Read(long offset, Span<byte> destination) => bytes.Span.Slice((int)offset, destination.Length).CopyTo(destination);

    /// <inheritdoc />
    public IReadOnlyList<ulong>? BlockChecksums => checksums;
}
