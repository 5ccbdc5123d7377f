using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Deploycast.Content.Storage;

/// <summary>
/// Reads a file once, start to end, in chunks of whole blocks (about 4 MiB), and lets several workers look at
/// every chunk at the same time: the whole-file SHA-256 runs on one thread while the per-block work (block hashes,
/// sparse writes) runs on others, and the next chunk is read meanwhile. SHA-256 runs at about 1.1 GB/s on one
/// core here, and the manifest needs every byte hashed twice (per block and whole file), so doing both on one
/// thread would halve the import speed.
/// </summary>
internal static class BlockPipeline
{
    /// <summary>Bytes read at a time, rounded down to whole blocks: large sequential reads.</summary>
    public const int ChunkTarget = 4 * 1024 * 1024;

    /// <summary>Work on one chunk: <paramref name="count"/> bytes of <paramref name="chunk"/> at file offset <paramref name="offset"/>.
    /// Chunks arrive in order, one at a time per worker; every chunk but the last holds whole blocks.</summary>
    public delegate void ChunkWork(byte[] chunk, int count, long offset);

    /// <summary>Chunk size for <paramref name="blockSize"/>: whole blocks, so no block straddles two reads.</summary>
    public static int ChunkSizeFor(int blockSize) => blockSize * Math.Max(1, ChunkTarget / blockSize);

    /// <summary>
    /// Reads <paramref name="source"/> to its end, runs every <paramref name="work"/> on every chunk, and returns the
    /// whole-file SHA-256 and the bytes read. <paramref name="progress"/> is called with the bytes read after each chunk.
    /// Cancellation is checked between chunks; no worker is left running when this returns or throws.
    /// </summary>
    public static async Task<(byte[] FileHash, long Length)> RunAsync(
        SafeFileHandle source, int blockSize, ChunkWork[] work, Action<long>? progress, CancellationToken cancellationToken)
    {
        var chunkSize = ChunkSizeFor(blockSize);
        byte[][] buffers = [ArrayPool<byte>.Shared.Rent(chunkSize), ArrayPool<byte>.Shared.Rent(chunkSize)];
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var tasks = new Task[work.Length + 2];
        try
        {
            long offset = 0;
            var current = 0;
            var count = await Task.Run(() => ReadFull(source, buffers[0], chunkSize, 0), cancellationToken).ConfigureAwait(false);
            while (count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var chunk = buffers[current];
                var next = buffers[current ^ 1];
                var chunkOffset = offset;
                var chunkCount = count;
                tasks[0] = Task.Run(() => whole.AppendData(chunk, 0, chunkCount), CancellationToken.None);
                for (var i = 0; i < work.Length; i++)
                {
                    var worker = work[i];
                    tasks[i + 1] = Task.Run(() => worker(chunk, chunkCount, chunkOffset), CancellationToken.None);
                }

                // A short chunk is the end of the file: a regular file returns less than asked only there.
                var read = chunkCount == chunkSize
                    ? Task.Run(() => ReadFull(source, next, chunkSize, chunkOffset + chunkCount), CancellationToken.None)
                    : Task.FromResult(0);
                tasks[^1] = read;

                // WhenAll waits for every task even when one fails, so no worker still reads a buffer we return.
                await Task.WhenAll(tasks).ConfigureAwait(false);
                offset += chunkCount;
                progress?.Invoke(offset);
                count = await read.ConfigureAwait(false);
                current ^= 1;
            }

            return (whole.GetHashAndReset(), offset);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffers[0]);
            ArrayPool<byte>.Shared.Return(buffers[1]);
        }
    }

    private static int ReadFull(SafeFileHandle source, byte[] buffer, int size, long offset)
    {
        var filled = 0;
        while (filled < size)
        {
            var read = RandomAccess.Read(source, buffer.AsSpan(filled, size - filled), offset + filled);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }
}
