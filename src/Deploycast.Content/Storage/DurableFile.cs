using System.Security.Cryptography;

namespace Deploycast.Content.Storage;

/// <summary>
/// Small files (manifest, signature, info.json, the site key) written so that a crash leaves either the old
/// file or the new one, never a torn one: a temporary file beside it, flushed to disk, then renamed.
/// </summary>
internal static class DurableFile
{
    /// <summary>Owner-only: images and keys may hold secrets (encrypt multicast exists for a reason).</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Owner-only directory mode.</summary>
    public const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Writes a new file (it must not exist) and flushes it to disk.</summary>
    public static void WriteNew(string path, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(path, CreateOptions(FileMode.CreateNew));
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Replaces <paramref name="path"/> atomically with <paramref name="bytes"/>.</summary>
    public static void Replace(string path, ReadOnlySpan<byte> bytes)
    {
        var temporary = TemporaryNameFor(path);
        try
        {
            WriteNew(temporary, bytes);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }

        UnixFile.SyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>
    /// Creates <paramref name="path"/> atomically with <paramref name="bytes"/> unless it exists already.
    /// Returns false, leaving the existing file alone, when another writer got there first.
    /// </summary>
    public static bool TryCreate(string path, ReadOnlySpan<byte> bytes)
    {
        var temporary = TemporaryNameFor(path);
        try
        {
            WriteNew(temporary, bytes);

            // The new name must appear only where none exists, in one step: two servers starting at once cannot
            // both believe their key is the site key. File.Move without overwrite looks first and then renames,
            // so on Linux both can pass the look; it is only the fallback where the kernel offers nothing better.
            switch (UnixFile.TryMoveNoReplace(temporary, path))
            {
                case false:
                    TryDelete(temporary);
                    return false;
                case null:
                    File.Move(temporary, path, overwrite: false);
                    break;
            }
        }
        catch (IOException) when (File.Exists(path))
        {
            TryDelete(temporary);
            return false;
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }

        UnixFile.SyncDirectory(Path.GetDirectoryName(path)!);
        return true;
    }

    /// <summary>Options that create a file readable and writable by its owner only.</summary>
    public static FileStreamOptions CreateOptions(FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        return options;
    }

    /// <summary>Creates a directory (and its parents) owner-only where it is new.</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, OwnerOnlyDirectory);
        }
    }

    public static void TryDelete(string path)
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

    private static string TemporaryNameFor(string path) =>
        $"{path}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.tmp";
}
