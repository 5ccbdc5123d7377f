using System.Security.Cryptography;
using Deploycast.Imaging.Unix;

namespace Deploycast.Imaging.Files;

/// <summary>
/// Places a file that is neither a WIM nor a raw image at a path: copied beside the destination under a temporary
/// name, flushed to disk, then renamed over the destination, so the destination is either the old file or the
/// whole new one, never a torn copy.
/// </summary>
public static class FilePlacement
{
    private const int ChunkSize = 1 << 20;

    /// <summary>
    /// Copies <paramref name="sourcePath"/> to <paramref name="destinationPath"/> (its directory is created when
    /// missing; an existing file there is replaced). Progress counts bytes copied; on failure or cancellation the
    /// temporary copy is removed and the destination is untouched.
    /// </summary>
    public static void Place(string sourcePath, string destinationPath, IProgress<ImageApplyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourcePath);
        ArgumentException.ThrowIfNullOrEmpty(destinationPath);
        var source = Path.GetFullPath(sourcePath);
        var destination = Path.GetFullPath(destinationPath);
        try
        {
            using var input = new FileStream(source, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 0, Options = FileOptions.SequentialScan });
            Place(input, input.Length, source, destination, progress, cancellationToken);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Reading the source failed (writing failures come as ImageApplyException already).
            throw new ImageApplyException(source, $"Cannot place {source} at {destination}: {exception.Message}", exception);
        }
    }

    /// <summary>
    /// Writes <paramref name="length"/> bytes read from <paramref name="source"/> to <paramref name="destinationPath"/>
    /// the same way: into a temporary file beside it, flushed, then renamed over it only when all
    /// <paramref name="length"/> bytes were read. When reading the source fails (for a stream that checks what it hands
    /// out, a block that fails its check), that exception is thrown as it is, the temporary file is removed and the
    /// destination is untouched; a stream that ends early throws <see cref="ImageApplyException"/>.
    /// </summary>
    public static void Place(Stream source, long length, string destinationPath, IProgress<ImageApplyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentException.ThrowIfNullOrEmpty(destinationPath);
        var destination = Path.GetFullPath(destinationPath);
        Place(source, length, "the content", destination, progress, cancellationToken);
    }

    /// <summary>Copies <paramref name="input"/>; <paramref name="what"/> is how messages name it (its path, or "the content").</summary>
    private static void Place(Stream input, long total, string what, string destination, IProgress<ImageApplyProgress>? progress, CancellationToken cancellationToken)
    {
        if (Directory.Exists(destination))
        {
            throw new ImageApplyException(what, $"Cannot place {what} at {destination}: that is a directory; give the file's full path.");
        }

        var directory = Path.GetDirectoryName(destination)!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(destination)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.partial");
        var reading = false;
        try
        {
            Directory.CreateDirectory(directory);
            using (var output = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0, PreallocationSize = total }))
            {
                var buffer = new byte[(int)Math.Min(ChunkSize, Math.Max(total, 1))];
                long copied = 0;
                progress?.Report(new ImageApplyProgress(0, total, ImageApplyPhase.Preparing));
                while (true)
                {
                    reading = true;
                    var read = input.Read(buffer);
                    reading = false;
                    if (read == 0)
                    {
                        break;
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                    output.Write(buffer, 0, read);
                    copied += read;
                    progress?.Report(new ImageApplyProgress(Math.Min(copied, total), total, ImageApplyPhase.Writing));
                }

                if (copied != total)
                {
                    throw new ImageApplyException(what, $"Cannot place {what}: {copied:N0} bytes were read, {total:N0} expected (it changed size while being copied, or ended early); {destination} is unchanged.");
                }

                progress?.Report(new ImageApplyProgress(total, total, ImageApplyPhase.Finishing));
                output.Flush(flushToDisk: true);
            }

            File.Move(temporary, destination, overwrite: true);
            if (OperatingSystem.IsLinux())
            {
                LinuxFile.SyncDirectory(directory);
            }

            progress?.Report(new ImageApplyProgress(total, total, ImageApplyPhase.Done));
        }
        catch (Exception exception)
        {
            TryDelete(temporary);
            if (!reading && exception is IOException or UnauthorizedAccessException)
            {
                throw new ImageApplyException(what, $"Cannot place {what} at {destination}: {exception.Message}", exception)
                {
                    DiskFull = exception is IOException io && io.HResult is 28 or 122 or unchecked((int)0x80070070),
                };
            }

            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
