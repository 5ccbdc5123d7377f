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
        if (Directory.Exists(destination))
        {
            throw new ImageApplyException(source, $"Cannot place {source} at {destination}: that is a directory; give the file's full path.");
        }

        var directory = Path.GetDirectoryName(destination)!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(destination)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.partial");
        long total = 0;
        try
        {
            Directory.CreateDirectory(directory);
            using (var input = new FileStream(source, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 0, Options = FileOptions.SequentialScan }))
            using (var output = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0, PreallocationSize = input.Length }))
            {
                total = input.Length;
                var buffer = new byte[(int)Math.Min(ChunkSize, Math.Max(total, 1))];
                long copied = 0;
                progress?.Report(new ImageApplyProgress(0, total, ImageApplyPhase.Preparing));
                int read;
                while ((read = input.Read(buffer)) > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    output.Write(buffer, 0, read);
                    copied += read;
                    progress?.Report(new ImageApplyProgress(Math.Min(copied, total), total, ImageApplyPhase.Writing));
                }

                if (copied != total)
                {
                    throw new ImageApplyException(source, $"Cannot place {source}: it changed size while being copied ({copied:N0} bytes read, {total:N0} expected).");
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
            if (exception is IOException or UnauthorizedAccessException)
            {
                throw new ImageApplyException(source, $"Cannot place {source} at {destination}: {exception.Message}", exception)
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
