using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Deploycast.Imaging.Wim;

namespace Deploycast.Imaging.Tests;

public sealed class WimLibraryTests
{
    [Fact]
    public void Load_LibraryMissing_SaysWhichPackageToInstall()
    {
        var exception = Assert.Throws<ImageApplyException>(() => WimLibrary.Load("/images/install.wim", "libwim-missing.so.15"));

        Assert.Equal("/images/install.wim", exception.ImagePath);
        Assert.Contains("libwim-missing.so.15 was not found", exception.Message, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Contains("install Debian's libwim15 package", exception.Message, StringComparison.Ordinal);
            Assert.Contains("wimtools", exception.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>The offsets wimlib.h (1.13.6) gives on a 64-bit ABI, counted by hand from the header's field list.</summary>
    [Fact]
    public void ProgressInfoExtract_HasWimlibHeaderLayout_On64Bit()
    {
        if (IntPtr.Size != 8)
        {
            return; // 32-bit ABIs lay the pointers out otherwise; the agent runs on x86-64 and arm64.
        }

        Assert.Equal(0, Offset<WimNative.ProgressInfoExtract>(nameof(WimNative.ProgressInfoExtract.Image)));
        Assert.Equal(4, Offset<WimNative.ProgressInfoExtract>(nameof(WimNative.ProgressInfoExtract.ExtractFlags)));
        Assert.Equal(8, Offset<WimNative.ProgressInfoExtract>(nameof(WimNative.ProgressInfoExtract.WimFileName)));
        Assert.Equal(32, Offset<WimNative.ProgressInfoExtract>(nameof(WimNative.ProgressInfoExtract.Reserved)));
        Assert.Equal(40, Offset<WimNative.ProgressInfoExtract>(nameof(WimNative.ProgressInfoExtract.TotalBytes)));
        Assert.Equal(48, Offset<WimNative.ProgressInfoExtract>(nameof(WimNative.ProgressInfoExtract.CompletedBytes)));
        Assert.Equal(56, Offset<WimNative.ProgressInfoExtract>(nameof(WimNative.ProgressInfoExtract.TotalStreams)));
        Assert.Equal(64, Offset<WimNative.ProgressInfoExtract>(nameof(WimNative.ProgressInfoExtract.CompletedStreams)));
        Assert.Equal(72, Offset<WimNative.ProgressInfoExtract>(nameof(WimNative.ProgressInfoExtract.PartNumber)));
        Assert.Equal(80, Offset<WimNative.ProgressInfoExtract>(nameof(WimNative.ProgressInfoExtract.Guid)));
        Assert.Equal(96, Offset<WimNative.ProgressInfoExtract>(nameof(WimNative.ProgressInfoExtract.CurrentFileCount)));
        Assert.Equal(104, Offset<WimNative.ProgressInfoExtract>(nameof(WimNative.ProgressInfoExtract.EndFileCount)));
        Assert.Equal(112, Unsafe.SizeOf<WimNative.ProgressInfoExtract>());
    }

    [Fact]
    public void WimInfo_HasWimlibHeaderLayout()
    {
        Assert.Equal(16, Offset<WimNative.WimInfo>(nameof(WimNative.WimInfo.ImageCount)));
        Assert.Equal(20, Offset<WimNative.WimInfo>(nameof(WimNative.WimInfo.BootIndex)));
        Assert.Equal(32, Offset<WimNative.WimInfo>(nameof(WimNative.WimInfo.PartNumber)));
        Assert.Equal(34, Offset<WimNative.WimInfo>(nameof(WimNative.WimInfo.TotalParts)));
        Assert.Equal(36, Offset<WimNative.WimInfo>(nameof(WimNative.WimInfo.CompressionType)));
        Assert.Equal(40, Offset<WimNative.WimInfo>(nameof(WimNative.WimInfo.TotalBytes)));
        Assert.Equal(48, Offset<WimNative.WimInfo>(nameof(WimNative.WimInfo.Flags)));
        Assert.Equal(88, Unsafe.SizeOf<WimNative.WimInfo>());
    }

    private static int Offset<T>(string field) => (int)Marshal.OffsetOf<T>(field);
}
