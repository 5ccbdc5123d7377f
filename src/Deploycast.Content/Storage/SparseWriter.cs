using Microsoft.Win32.SafeHandles;

namespace Deploycast.Content.Storage;

/// <summary>
/// Writes a new file leaving every all-zero page unwritten: the file is created empty and extended to its length at
/// the end, so what was skipped reads as zeros and takes no disk space (a raw disk image is mostly empty). Pages,
/// not blocks, because a manifest block (182,528 bytes) is not a multiple of the file system's 4 KiB: skipping at
/// page grain also frees the zero pages inside blocks that hold some data.
/// </summary>
internal sealed class SparseWriter(SafeFileHandle target)
{
    /// <summary>The file system's allocation unit on ext4, XFS and tmpfs. Aligned to file offsets, not chunk starts.</summary>
    public const int PageSize = 4096;

    private long _bytesWritten;

    /// <summary>Bytes actually written (the rest were zero pages).</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>Writes the non-zero pages of a chunk: a <see cref="BlockPipeline.ChunkWork"/>.</summary>
    public void Write(byte[] chunk, int count, long offset)
    {
        var data = chunk.AsSpan(0, count);
        var runStart = -1;
        var position = 0;
        while (position < count)
        {
            var pageEnd = (int)Math.Min(count, position + (PageSize - ((offset + position) % PageSize)));
            if (data[position..pageEnd].ContainsAnyExcept((byte)0))
            {
                if (runStart < 0)
                {
                    runStart = position;
                }
            }
            else if (runStart >= 0)
            {
                Flush(data, runStart, position, offset);
                runStart = -1;
            }

            position = pageEnd;
        }

        if (runStart >= 0)
        {
            Flush(data, runStart, count, offset);
        }

        UnixFile.StartWriteback(target, offset, count);
    }

    private void Flush(ReadOnlySpan<byte> data, int start, int end, long offset)
    {
        RandomAccess.Write(target, data[start..end], offset + start);
        Interlocked.Add(ref _bytesWritten, end - start);
    }
}
