namespace Deploycast.Multicast.Sending;

/// <summary>The bytes a sender transmits, read by position (a file, or memory in tests).</summary>
public interface ISenderContent
{
    long Length { get; }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; the range is always inside the content.</summary>
    void Read(long offset, Span<byte> destination);
}
