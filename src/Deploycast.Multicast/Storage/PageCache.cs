using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Deploycast.Multicast.Storage;

/// <summary>
/// Hands the kernel back the cached pages of output that is already on disk. A receiver writes an image of many
/// gigabytes once and reads back only what it wrote ahead of the checked prefix; pages behind the prefix, once flushed,
/// are never used again, yet the kernel would keep them until memory runs short and then spend CPU reclaiming them.
/// Dropping them right after each flush keeps the output's cache to about one checkpoint interval of data and lets the
/// next writes reuse pages that were just freed.
/// </summary>
internal static partial class PageCache
{
    // POSIX_FADV_DONTNEED on Linux (every architecture .NET runs on).
    private const int FadviseDontNeed = 4;

    // SYNC_FILE_RANGE_WRITE: start writeback of the range's dirty pages, wait for none (offset 0, length 0: the whole file).
    private const uint SyncFileRangeWrite = 2;

    /// <summary>
    /// Drops the clean cached pages of <paramref name="length"/> bytes at <paramref name="offset"/>. Advice only: dirty
    /// pages stay, and on other systems, or where the kernel refuses, nothing changes.
    /// </summary>
    public static void DropClean(SafeFileHandle handle, long offset, long length)
    {
        if (length > 0 && OperatingSystem.IsLinux())
        {
            _ = Fadvise(handle, offset, length, FadviseDontNeed);
        }
    }

    /// <summary>
    /// Starts writing the file's dirty pages to disk and returns without waiting for them (Linux:
    /// <c>sync_file_range</c> with <c>SYNC_FILE_RANGE_WRITE</c> over the whole file). Left alone, the kernel lets
    /// written pages sit dirty for up to 30 s, and the flush that completes a download then waits for all of them.
    /// It may still block while the disk's queue is full, so callers run it off the paths that must not stall.
    /// Advice only: on other systems, or where the kernel refuses, nothing changes.
    /// </summary>
    public static void StartWriteback(SafeFileHandle handle)
    {
        if (OperatingSystem.IsLinux())
        {
            _ = SyncFileRange(handle, 0, 0, SyncFileRangeWrite);
        }
    }

    [LibraryImport("libc", EntryPoint = "sync_file_range")]
    private static partial int SyncFileRange(SafeFileHandle fd, long offset, long length, uint flags);

    // Returns the error number itself (0 on success), not -1 and errno.
    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int Fadvise(SafeFileHandle fd, long offset, long length, int advice);
}
