using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Deploycast.Imaging.Unix;

/// <summary>
/// The Linux file calls a raw apply needs and .NET does not offer: opening a block device exclusively (so a mounted
/// disk is refused), its size, punching a hole in a file, and zeroing a device range in the device itself.
/// Flag values are the same on x86-64 and arm64.
/// </summary>
internal static partial class LinuxFile
{
    private const int OpenWriteOnly = 0x1;
    private const int OpenExclusive = 0x80;
    private const int OpenCloseOnExec = 0x80000;
    private const int SeekEnd = 2;
    private const int FallocKeepSize = 0x1;
    private const int FallocPunchHole = 0x2;
    private const nuint BlockZeroOut = 0x127F; // BLKZEROOUT = _IO(0x12, 127)

    public const int EBUSY = 16;
    public const int ENOSPC = 28;
    public const int EDQUOT = 122;

    /// <summary>
    /// Opens a block device for writing with O_EXCL, which on Linux fails with EBUSY while the device, or a
    /// partition of it, is mounted or held by another exclusive opener. Returns the errno on failure.
    /// </summary>
    public static SafeFileHandle? OpenBlockDeviceExclusive(string path, out int errno)
    {
        var fd = Open(path, OpenWriteOnly | OpenExclusive | OpenCloseOnExec);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        errno = 0;
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Size in bytes of a block device (its end offset; fstat reports 0 for devices).</summary>
    public static long DeviceSize(SafeFileHandle handle)
    {
        var size = LSeek(handle, 0, SeekEnd);
        if (size < 0)
        {
            throw new IOException($"Cannot read the size of the device (errno {Marshal.GetLastPInvokeError()}).");
        }

        return size;
    }

    /// <summary>Deallocates a range of a regular file so it reads as zeros; false when the file system cannot.</summary>
    public static bool TryPunchHole(SafeFileHandle handle, long offset, long length)
    {
        try
        {
            return Fallocate(handle, FallocKeepSize | FallocPunchHole, offset, length) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Zeroes a 512-byte-aligned range of a block device with BLKZEROOUT: the device (or the loop driver) writes the
    /// zeros, often without moving them through memory. False when the device cannot; the caller then writes zeros.
    /// </summary>
    public static unsafe bool TryZeroOut(SafeFileHandle handle, long offset, long length)
    {
        var range = stackalloc ulong[2];
        range[0] = (ulong)offset;
        range[1] = (ulong)length;
        try
        {
            return Ioctl(handle, BlockZeroOut, range) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Makes a rename into <paramref name="directory"/> durable (fsync of the directory). Best effort: a file system
    /// that refuses it still has the rename, only not guaranteed across a power cut.
    /// </summary>
    public static void SyncDirectory(string directory)
    {
        var fd = Open(directory, OpenCloseOnExec); // O_RDONLY is 0
        if (fd >= 0)
        {
            using var handle = new SafeFileHandle(fd, ownsHandle: true);
            _ = Fsync(handle);
        }
    }

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static partial long LSeek(SafeFileHandle fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int Fallocate(SafeFileHandle fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int Ioctl(SafeFileHandle fd, nuint request, ulong* argument);
}
