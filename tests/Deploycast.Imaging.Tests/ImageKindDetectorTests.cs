using Deploycast.Imaging.Detection;

namespace Deploycast.Imaging.Tests;

public sealed class ImageKindDetectorTests
{
    [Theory]
    [InlineData("install.wim", false, ImageKind.Wim)]
    [InlineData("disk.img", false, ImageKind.Wim)] // the magic wins over the name
    [InlineData("boot.bin", true, ImageKind.Wim)]
    public void Detect_WimMagic_IsAWim(string name, bool treatAsRaw, ImageKind expected) =>
        Assert.Equal(expected, ImageKindDetector.Detect("MSWIM\0\0\0\xd0\0\0\0"u8, name, treatAsRaw));

    [Theory]
    [InlineData("rootfs.img", false, ImageKind.Raw)]
    [InlineData("DISK.RAW", false, ImageKind.Raw)]
    [InlineData("disk.bin", true, ImageKind.Raw)]
    [InlineData("disk.bin", false, ImageKind.File)]
    [InlineData("setup.exe", false, ImageKind.File)]
    [InlineData("image.img.txt", false, ImageKind.File)]
    public void Detect_WithoutWimMagic_GoesByNameOrTheCallersWord(string name, bool treatAsRaw, ImageKind expected) =>
        Assert.Equal(expected, ImageKindDetector.Detect("\xeb\x52\x90NTFS    "u8, name, treatAsRaw));

    [Fact]
    public void Detect_ShortOrEmptyFile_IsNotAWim()
    {
        Assert.Equal(ImageKind.File, ImageKindDetector.Detect("MSWIM"u8, "x.wim"));
        Assert.Equal(ImageKind.Raw, ImageKindDetector.Detect([], "x.img"));
    }

    [WimToolsFact]
    public void Detect_FileMadeByWimcapture_IsAWim_WhateverItsName()
    {
        using var temp = new TempDirectory();
        var source = temp.Combine("source");
        SourceTree.Build(source, randomMegabytes: 1);
        var wim = temp.Combine("captured.bin");
        WimTools.Capture(source, wim, "Any");

        Assert.Equal(ImageKind.Wim, ImageKindDetector.Detect(wim));
    }

    [Fact]
    public void Detect_MissingFile_SaysItCannotBeRead()
    {
        var exception = Assert.Throws<ImageApplyException>(() => ImageKindDetector.Detect("/nonexistent/deploycast/image.wim"));
        Assert.Contains("Cannot read /nonexistent/deploycast/image.wim", exception.Message, StringComparison.Ordinal);
    }
}
