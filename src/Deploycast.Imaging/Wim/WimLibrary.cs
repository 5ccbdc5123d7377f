using System.Reflection;
using System.Runtime.InteropServices;

namespace Deploycast.Imaging.Wim;

/// <summary>
/// Loads wimlib once per process, initialises it (<c>wimlib_global_init</c>) before the first use and releases it
/// (<c>wimlib_global_cleanup</c>) when the process exits with no WIM open. A machine without the library gets an
/// <see cref="ImageApplyException"/> that says which package to install, not a <see cref="DllNotFoundException"/>.
/// </summary>
internal static class WimLibrary
{
    private static readonly Lock s_gate = new();
    private static nint s_library;
    private static bool s_initialised;
    private static int s_openCount;

    /// <summary>The file name wimlib is loaded by on this operating system.</summary>
    public static string PlatformLibraryName => OperatingSystem.IsWindows() ? WimNative.WindowsLibraryName : WimNative.LibraryName;

    /// <summary>
    /// Makes sure wimlib is loaded and initialised. <paramref name="imagePath"/> is only for the message when it is not.
    /// </summary>
    public static void EnsureInitialised(string imagePath)
    {
        lock (s_gate)
        {
            if (s_initialised)
            {
                return;
            }

            if (s_library == 0)
            {
                s_library = Load(imagePath, PlatformLibraryName);

                // Every [LibraryImport] of WimNative names the Linux SONAME; point them all at the handle loaded
                // above (which is the Windows DLL on Windows). A resolver can be set once per assembly.
                NativeLibrary.SetDllImportResolver(typeof(WimLibrary).Assembly, Resolve);
            }

            var code = WimNative.GlobalInit(WimNative.InitFlagAssumeUtf8);
            if (code != 0)
            {
                throw new ImageApplyException(imagePath, $"wimlib could not be initialised: {Describe(code)}")
                {
                    WimErrorCode = code,
                    WimErrorText = ErrorText(code),
                };
            }

            s_initialised = true;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => CleanUpAtExit();
        }
    }

    /// <summary>Loads <paramref name="libraryName"/> or explains how to install it.</summary>
    internal static nint Load(string imagePath, string libraryName)
    {
        if (NativeLibrary.TryLoad(libraryName, typeof(WimLibrary).Assembly, DllImportSearchPath.SafeDirectories, out var handle) ||
            NativeLibrary.TryLoad(libraryName, out handle))
        {
            return handle;
        }

        var install = OperatingSystem.IsWindows()
            ? $"put {libraryName} from wimlib's Windows release beside the agent"
            : "install Debian's libwim15 package (apt-get install libwim15, or wimtools, which depends on it)";
        throw new ImageApplyException(
            imagePath,
            $"Cannot open {imagePath}: WIM images are applied with wimlib, and {libraryName} was not found on this computer; {install}.");
    }

    /// <summary>Counts an open WIM, so the library is not cleaned up under it at exit.</summary>
    public static void AddOpen() => Interlocked.Increment(ref s_openCount);

    public static void RemoveOpen() => Interlocked.Decrement(ref s_openCount);

    /// <summary>wimlib's text for an error code.</summary>
    public static string ErrorText(int code) => WimString.Read(WimNative.GetErrorString(code)) ?? "unknown error";

    /// <summary>"wimlib error 2: ..." for messages.</summary>
    public static string Describe(int code) => $"wimlib error {code}: {ErrorText(code)}";

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == WimNative.LibraryName ? s_library : 0;

    private static void CleanUpAtExit()
    {
        lock (s_gate)
        {
            // An apply still running on another thread at exit keeps its WIMStruct; cleaning up under it could crash.
            if (s_initialised && Volatile.Read(ref s_openCount) == 0)
            {
                WimNative.GlobalCleanup();
                s_initialised = false;
            }
        }
    }
}
