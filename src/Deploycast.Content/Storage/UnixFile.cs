using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Deploycast.Content.Storage;

/// <summary>
/// The few Linux file calls .NET does not expose: the file type (a FIFO or a character device must be refused
/// before it is opened: opening a FIFO blocks until a writer comes, reading /dev/zero never ends), the fsync of a
/// directory that makes a rename durable, and a rename that never replaces an existing file.
/// </summary>
internal static partial class UnixFile
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int ModeTypeMask = 0xF000;
    private const int OpenReadOnlyCloseOnExec = 0x80000; // O_RDONLY | O_CLOEXEC: the same value on x86-64 and arm64.

    /// <summary>What kind of file <paramref name="path"/> is (symbolic links followed); null when it cannot be told here.</summary>
    public static string? KindOf(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return Directory.Exists(path) ? "directory" : File.Exists(path) ? "regular file" : null;
        }

        try
        {
            if (Statx(AtFdCwd, path, 0, StatxType, out var status) != 0)
            {
                return null;
            }

            return (status.Mode & ModeTypeMask) switch
            {
                0x8000 => "regular file",
                0x4000 => "directory",
                0x2000 => "character device",
                0x6000 => "block device",
                0x1000 => "FIFO (named pipe)",
                0xC000 => "socket",
                _ => "special file",
            };
        }
        catch (EntryPointNotFoundException)
        {
            // A C library without statx (glibc before 2.28): fall back to what .NET can tell.
            return Directory.Exists(path) ? "directory" : File.Exists(path) ? "regular file" : null;
        }
    }

    /// <summary>
    /// Makes the entries of <paramref name="directory"/> (a rename into it) durable. Best effort: a file system
    /// that refuses fsync on a directory still has the rename, only not guaranteed across a power cut.
    /// </summary>
    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            var fd = Open(directory, OpenReadOnlyCloseOnExec);
            if (fd < 0)
            {
                return;
            }

            _ = Fsync(fd);
            _ = Close(fd);
        }
        catch (EntryPointNotFoundException)
        {
        }
    }

    /// <summary>
    /// Starts writing a file range to disk without waiting for it (Linux sync_file_range, SYNC_FILE_RANGE_WRITE). The
    /// kernel would otherwise hold an import's pages in memory until the final flush, then write them all while the
    /// import waits; started per chunk, the disk writes while the next chunks are hashed. Best effort.
    /// </summary>
    public static void StartWriteback(SafeFileHandle handle, long offset, long count)
    {
        if (!OperatingSystem.IsLinux() || !s_writebackAvailable)
        {
            return;
        }

        try
        {
            _ = SyncFileRange(handle, offset, count, SyncFileRangeWrite);
        }
        catch (EntryPointNotFoundException)
        {
            s_writebackAvailable = false;
        }
    }

    /// <summary>
    /// Renames <paramref name="source"/> to <paramref name="destination"/> only where no file of that name exists, as
    /// one step: renameat2 with RENAME_NOREPLACE, or, on a file system without it, link then unlink. True when
    /// moved, false when <paramref name="destination"/> exists (nothing changed), null where neither call is
    /// available (not Linux, or a file system that refuses both): the caller falls back to what .NET offers.
    /// </summary>
    /// <exception cref="IOException">The kernel refused the rename for another reason; the message names both paths.</exception>
    public static bool? TryMoveNoReplace(string source, string destination)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        int error;
        try
        {
            if (RenameAt2(AtFdCwd, source, AtFdCwd, destination, RenameNoReplace) == 0)
            {
                return true;
            }

            error = Marshal.GetLastPInvokeError();
        }
        catch (EntryPointNotFoundException)
        {
            error = ErrorNotImplemented;
        }

        if (error == ErrorExists)
        {
            return false;
        }

        if (error is not (ErrorInvalid or ErrorNotImplemented or ErrorNotSupported))
        {
            throw MoveFailed(source, destination, error);
        }

        // The file system does not know RENAME_NOREPLACE: a hard link also fails when the name exists.
        if (Link(source, destination) == 0)
        {
            _ = Unlink(source);
            return true;
        }

        error = Marshal.GetLastPInvokeError();
        return error switch
        {
            ErrorExists => false,
            ErrorPermission or ErrorNotImplemented or ErrorNotSupported or ErrorTooManyLinks => null,
            _ => throw MoveFailed(source, destination, error),
        };
    }

    private static IOException MoveFailed(string source, string destination, int error) =>
        new($"Could not rename '{source}' to '{destination}': {Marshal.GetPInvokeErrorMessage(error)}.");

    private const uint RenameNoReplace = 1;
    private const int ErrorPermission = 1;
    private const int ErrorExists = 17;
    private const int ErrorInvalid = 22;
    private const int ErrorTooManyLinks = 31;
    private const int ErrorNotImplemented = 38;
    private const int ErrorNotSupported = 95;

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt2(int oldDirectoryFd, string oldPath, int newDirectoryFd, string newPath, uint flags);

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "unlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Unlink(string path);

    private const uint SyncFileRangeWrite = 2;
    private static bool s_writebackAvailable = true;

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(SafeFileHandle fd, long offset, long count, uint flags);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, out StatxBuffer buffer);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>struct statx: the same layout on every Linux architecture (unlike struct stat), 256 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(28)]
        public ushort Mode;
    }
}
