using Microsoft.Win32.SafeHandles;

namespace Deploycast.Multicast.Sending;

/// <summary>A file read with positional reads (no shared file pointer, safe from any thread).</summary>
public sealed class FileSenderContent : ISenderContent, IDisposable
{
    private readonly SafeFileHandle _handle;

    /// <param name="path">The file.</param>
    /// <param name="checksums">The <see cref="Protocol.Manifests.BlockChecksum"/> of each block, taken when the file was
    /// hashed for its manifest (0 for all-zero blocks), or null: then the sender checks its reads with SHA-256.</param>
    public FileSenderContent(string path, ulong[]? checksums = null)
    {
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        Length = RandomAccess.GetLength(_handle);
        BlockChecksums = checksums is { Length: > 0 } ? checksums : null;
    }

    public long Length { get; }

    public void Read(long offset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(_handle, destination, offset);
            if (read == 0)
            {
                throw new IOException($"the file ended at {offset} while {destination.Length} more bytes were expected; was it changed during the session?");
            }

            destination = destination[read..];
            offset += read;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<ulong>? BlockChecksums { get; }

    public void Dispose() => _handle.Dispose();
}
