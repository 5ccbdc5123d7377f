using Microsoft.Win32.SafeHandles;

namespace Deploycast.Multicast.Sending;

/// <summary>A file read with positional reads (no shared file pointer, safe from any thread).</summary>
public sealed class FileSenderContent : ISenderContent, IDisposable
{
    private readonly SafeFileHandle _handle;

    public FileSenderContent(string path)
    {
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        Length = RandomAccess.GetLength(_handle);
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

    public void Dispose() => _handle.Dispose();
}
