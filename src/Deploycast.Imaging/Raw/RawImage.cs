namespace Deploycast.Imaging.Raw;

/// <summary>Applies a whole raw image, from a file or a stream, through a <see cref="RawImageWriter"/>.</summary>
public static class RawImage
{
    /// <summary>Bytes read and written per step: large enough for sequential disk speed, small enough for progress.</summary>
    public const int ChunkSize = 4 << 20;

    /// <summary>
    /// Writes the raw image file <paramref name="sourcePath"/> to <paramref name="targetPath"/> (a block device or a
    /// regular file), leaving all-zero pages sparse as <see cref="RawImageWriter"/> describes.
    /// </summary>
    public static void Apply(string sourcePath, string targetPath, RawImageWriterOptions? options = null, IProgress<ImageApplyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourcePath);
        FileStream source;
        try
        {
            source = new FileStream(sourcePath, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 0, Options = FileOptions.SequentialScan });
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new ImageApplyException(Path.GetFullPath(sourcePath), $"Cannot read the raw image {Path.GetFullPath(sourcePath)}: {exception.Message}", exception);
        }

        using (source)
        {
            Apply(source, source.Length, targetPath, options, progress, cancellationToken);
        }
    }

    /// <summary>
    /// Writes <paramref name="length"/> bytes read from <paramref name="source"/> to <paramref name="targetPath"/>.
    /// The next chunk is read while the previous one is written. Throws <see cref="ImageApplyException"/> when the
    /// stream ends early.
    /// </summary>
    public static void Apply(Stream source, long length, string targetPath, RawImageWriterOptions? options = null, IProgress<ImageApplyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var writer = RawImageWriter.Open(targetPath, length, options, progress);
        var current = new byte[(int)Math.Min(ChunkSize, Math.Max(length, 1))];
        var next = new byte[current.Length];
        long offset = 0;
        var count = ReadChunk(source, current, length - offset);
        while (count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunkOffset = offset;
            var chunk = current;
            var chunkLength = count;
            offset += count;

            // Reading and writing overlap: a disk-to-disk copy runs at the slower of the two, not their sum.
            var remaining = length - offset;
            var read = remaining > 0 ? Task.Run(() => ReadChunk(source, next, remaining), cancellationToken) : Task.FromResult(0);
            try
            {
                writer.Write(chunkOffset, chunk.AsSpan(0, chunkLength), cancellationToken);
            }
            finally
            {
                // Never leave the read running on a buffer that is about to be reused, even when the write failed.
                try
                {
                    read.Wait(CancellationToken.None);
                }
                catch (AggregateException) when (!read.IsCompletedSuccessfully)
                {
                }
            }

            count = read.GetAwaiter().GetResult();
            (current, next) = (next, current);
        }

        if (offset != length)
        {
            throw new ImageApplyException(writer.TargetPath, $"The raw image ended after {offset:N0} of {length:N0} bytes; nothing more could be read from the source.");
        }

        writer.Complete(cancellationToken);
    }

    private static int ReadChunk(Stream source, byte[] buffer, long remaining)
    {
        var wanted = (int)Math.Min(buffer.Length, remaining);
        var total = 0;
        while (total < wanted)
        {
            var read = source.Read(buffer, total, wanted - total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}
