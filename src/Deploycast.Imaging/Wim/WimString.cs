using System.Runtime.InteropServices;

namespace Deploycast.Imaging.Wim;

/// <summary>
/// <c>wimlib_tchar</c> strings: <c>char</c> in UTF-8 on Linux, <c>wchar_t</c> in UTF-16 on Windows. Declaring them
/// as pointers and converting here keeps one set of entry points for both.
/// </summary>
internal static class WimString
{
    /// <summary>A native copy of <paramref name="value"/>; release it with <see cref="Release"/>.</summary>
    public static nint Allocate(string value) =>
        OperatingSystem.IsWindows() ? Marshal.StringToCoTaskMemUni(value) : Marshal.StringToCoTaskMemUTF8(value);

    public static void Release(nint pointer) => Marshal.FreeCoTaskMem(pointer);

    /// <summary>The string at <paramref name="pointer"/>, or null for NULL.</summary>
    public static string? Read(nint pointer)
    {
        if (pointer == 0)
        {
            return null;
        }

        return OperatingSystem.IsWindows() ? Marshal.PtrToStringUni(pointer) : Marshal.PtrToStringUTF8(pointer);
    }
}
