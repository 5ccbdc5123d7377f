using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Deploycast.Imaging.Wim;

/// <summary>
/// The part of wimlib's C API (wimlib.h of wimlib 1.13/1.14, <c>libwim.so.15</c>) that applying an image needs, and
/// nothing more. Layouts and values are those of the public header; <c>WimNativeLayoutTests</c> pins the offsets.
/// Strings are <c>wimlib_tchar*</c>: UTF-8 on Linux (wimlib_global_init is given ASSUME_UTF8), UTF-16 on Windows,
/// so they are passed as raw pointers and converted by <see cref="WimString"/>.
/// </summary>
internal static unsafe partial class WimNative
{
    /// <summary>The SONAME of Debian's libwim15 package; there is no unversioned name without libwim-dev.</summary>
    public const string LibraryName = "libwim.so.15";

    /// <summary>wimlib's Windows DLL name (as shipped in wimlib's Windows release).</summary>
    public const string WindowsLibraryName = "libwim-15.dll";

    // WIMLIB_INIT_FLAG_ASSUME_UTF8: strings are UTF-8 whatever the locale (the agent may run with LANG=C).
    public const int InitFlagAssumeUtf8 = 0x00000001;

    public const int ExtractFlagNtfs = 0x00000001;
    public const int ExtractFlagUnixData = 0x00000020;

    public const int ProgressStatusContinue = 0;
    public const int ProgressStatusAbort = 1;

    // enum wimlib_progress_msg, the extraction messages.
    public const int MsgExtractImageBegin = 0;
    public const int MsgExtractTreeBegin = 1;
    public const int MsgExtractFileStructure = 3;
    public const int MsgExtractStreams = 4;
    public const int MsgExtractSpwmPartBegin = 5;
    public const int MsgExtractMetadata = 6;
    public const int MsgExtractImageEnd = 7;
    public const int MsgExtractTreeEnd = 8;

    // enum wimlib_error_code, the ones given their own wording.
    public const int ErrDecompression = 2;
    public const int ErrInvalidHeader = 17;
    public const int ErrInvalidImage = 18;
    public const int ErrInvalidLookupTableEntry = 20;
    public const int ErrInvalidMetadataResource = 21;
    public const int ErrInvalidResourceHash = 28;
    public const int ErrIsSplitWim = 33;
    public const int ErrNotAWimFile = 43;
    public const int ErrNtfs3g = 46;
    public const int ErrOpen = 47;
    public const int ErrResourceNotFound = 55;
    public const int ErrUnexpectedEndOfFile = 65;
    public const int ErrUnknownVersion = 67;
    public const int ErrUnsupported = 68;
    public const int ErrWrite = 72;
    public const int ErrXml = 73;
    public const int ErrWimIsEncrypted = 74;
    public const int ErrAbortedByProgress = 76;

    [LibraryImport(LibraryName, EntryPoint = "wimlib_global_init")]
    public static partial int GlobalInit(int initFlags);

    [LibraryImport(LibraryName, EntryPoint = "wimlib_global_cleanup")]
    public static partial void GlobalCleanup();

    [LibraryImport(LibraryName, EntryPoint = "wimlib_get_version")]
    public static partial uint GetVersion();

    /// <summary><c>int wimlib_open_wim_with_progress(const wimlib_tchar *wim_file, int open_flags, WIMStruct **wim_ret, wimlib_progress_func_t progfunc, void *progctx)</c>.</summary>
    [LibraryImport(LibraryName, EntryPoint = "wimlib_open_wim_with_progress")]
    public static partial int OpenWimWithProgress(
        nint wimFile, int openFlags, out nint wim, delegate* unmanaged[Cdecl]<int, ProgressInfoExtract*, nint, int> progress, nint context);

    /// <summary><c>int wimlib_get_wim_info(WIMStruct *wim, struct wimlib_wim_info *info)</c>.</summary>
    [LibraryImport(LibraryName, EntryPoint = "wimlib_get_wim_info")]
    public static partial int GetWimInfo(nint wim, WimInfo* info);

    /// <summary><c>const wimlib_tchar *wimlib_get_image_name(const WIMStruct *wim, int image)</c>: "" when unnamed.</summary>
    [LibraryImport(LibraryName, EntryPoint = "wimlib_get_image_name")]
    public static partial nint GetImageName(nint wim, int image);

    /// <summary><c>const wimlib_tchar *wimlib_get_image_description(const WIMStruct *wim, int image)</c>: NULL when none.</summary>
    [LibraryImport(LibraryName, EntryPoint = "wimlib_get_image_description")]
    public static partial nint GetImageDescription(nint wim, int image);

    /// <summary><c>const wimlib_tchar *wimlib_get_image_property(const WIMStruct *wim, int image, const wimlib_tchar *property_name)</c> (since 1.8.3).</summary>
    [LibraryImport(LibraryName, EntryPoint = "wimlib_get_image_property")]
    public static partial nint GetImageProperty(nint wim, int image, nint propertyName);

    /// <summary><c>int wimlib_extract_image(WIMStruct *wim, int image, const wimlib_tchar *target, int extract_flags)</c>.</summary>
    [LibraryImport(LibraryName, EntryPoint = "wimlib_extract_image")]
    public static partial int ExtractImage(nint wim, int image, nint target, int extractFlags);

    [LibraryImport(LibraryName, EntryPoint = "wimlib_free")]
    public static partial void Free(nint wim);

    /// <summary><c>const wimlib_tchar *wimlib_get_error_string(enum wimlib_error_code code)</c>: a static string.</summary>
    [LibraryImport(LibraryName, EntryPoint = "wimlib_get_error_string")]
    public static partial nint GetErrorString(int code);

    /// <summary>
    /// <c>struct wimlib_wim_info</c>: 88 bytes, no pointers, so the same layout on every platform. The ten one-bit
    /// flags (has_integrity_table ... pipable) and reserved_flags share one uint32.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct WimInfo
    {
        public Guid16 Guid;
        public uint ImageCount;
        public uint BootIndex;
        public uint WimVersion;
        public uint ChunkSize;
        public ushort PartNumber;
        public ushort TotalParts;
        public int CompressionType;
        public ulong TotalBytes;
        public uint Flags;
        public Reserved9 Reserved;
    }

    /// <summary>uint8_t guid[WIMLIB_GUID_LEN] (16).</summary>
    [InlineArray(16)]
    public struct Guid16
    {
        private byte _element;
    }

    /// <summary>uint32_t reserved[9].</summary>
    [InlineArray(9)]
    public struct Reserved9
    {
        private uint _element;
    }

    /// <summary>
    /// <c>struct wimlib_progress_info_extract</c>, the member of <c>union wimlib_progress_info</c> valid for every
    /// WIMLIB_PROGRESS_MSG_EXTRACT_* message. Sequential with pointer-sized string fields, so the runtime lays it
    /// out as the C compiler does on each ABI .NET runs on (on x86-64: total_bytes at 40, completed_bytes at 48,
    /// 112 bytes in all). Read only: wimlib owns it.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ProgressInfoExtract
    {
        public uint Image;
        public uint ExtractFlags;
        public nint WimFileName;
        public nint ImageName;
        public nint Target;
        public nint Reserved;
        public ulong TotalBytes;
        public ulong CompletedBytes;
        public ulong TotalStreams;
        public ulong CompletedStreams;
        public uint PartNumber;
        public uint TotalParts;
        public Guid16 Guid;
        public ulong CurrentFileCount;
        public ulong EndFileCount;
    }
}
