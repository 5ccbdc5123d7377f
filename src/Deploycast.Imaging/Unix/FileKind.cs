using System.Runtime.InteropServices;

namespace Deploycast.Imaging.Unix;

/// <summary>What a path names. .NET tells a directory from a file but not a block device from a regular file.</summary>
internal enum FileKind
{
    Missing,
    RegularFile,
    Directory,
    BlockDevice,
    CharacterDevice,
    Fifo,
    Socket,
    Other,
}

/// <summary>Finds the <see cref="FileKind"/> of a path (symbolic links followed) with statx on Linux.</summary>
internal static partial class FileKindProbe
{
    private const int AtFdCwd = -100;
    private const uint StatxTypeMask = 0x1; // STATX_TYPE
    private const int ENOENT = 2;

    public static FileKind Of(string path)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                if (Statx(AtFdCwd, path, 0, StatxTypeMask, out var buffer) == 0)
                {
                    return (buffer.Mode & 0xF000) switch
                    {
                        0x8000 => FileKind.RegularFile,
                        0x4000 => FileKind.Directory,
                        0x6000 => FileKind.BlockDevice,
                        0x2000 => FileKind.CharacterDevice,
                        0x1000 => FileKind.Fifo,
                        0xC000 => FileKind.Socket,
                        _ => FileKind.Other,
                    };
                }

                if (Marshal.GetLastPInvokeError() == ENOENT)
                {
                    return FileKind.Missing;
                }
            }
            catch (EntryPointNotFoundException)
            {
                // A C library older than glibc 2.28 has no statx: tell what .NET can.
            }
        }

        return Directory.Exists(path) ? FileKind.Directory : File.Exists(path) ? FileKind.RegularFile : FileKind.Missing;
    }

    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Missing => "missing file",
        FileKind.RegularFile => "regular file",
        FileKind.Directory => "directory",
        FileKind.BlockDevice => "block device",
        FileKind.CharacterDevice => "character device",
        FileKind.Fifo => "FIFO (named pipe)",
        FileKind.Socket => "socket",
        _ => "special file",
    };

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, out StatxBuffer buffer);

    /// <summary>struct statx is 256 bytes with stx_mode (u16) at offset 28 on every Linux architecture.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(28)]
        public ushort Mode;
    }
}
