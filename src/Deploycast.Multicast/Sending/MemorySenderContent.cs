namespace Deploycast.Multicast.Sending;

/// <summary>Content held in memory (tests and small payloads).</summary>
public sealed class MemorySenderContent(ReadOnlyMemory<byte> bytes) : ISenderContent
{
    public long Length => bytes.Length;

    public void Read(long offset, Span<byte> destination) => bytes.Span.Slice((int)offset, destination.Length).CopyTo(destination);
}
