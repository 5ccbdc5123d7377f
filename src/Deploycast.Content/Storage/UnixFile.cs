using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Deploycast.Content.Storage;

/// <summary>
/// The few Linux file calls .NET does not expose: the file type (a FIFO or a character device must be refused
/// before it is opened: opening a FIFO blocks until a writer comes, reading /dev/zero never ends) and the
/// fsync of a directory that makes a rename durable.
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
