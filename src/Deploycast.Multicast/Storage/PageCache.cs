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

    // Returns the error number itself (0 on success), not -1 and errno.
    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int Fadvise(SafeFileHandle fd, long offset, long length, int advice);
}
