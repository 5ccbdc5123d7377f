using Deploycast.Imaging.Wim;
using Xunit.Abstractions;

namespace Deploycast.Imaging.Tests;

public sealed class WimImageTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [WimToolsFact]
    public void Open_ListsTheImage_AsWiminfoDescribesIt()
    {
        var wim = CaptureTree(out _);

        using var image = WimImage.Open(wim);

        Assert.Equal(1, image.ImageCount);
        var info = Assert.Single(image.Images);
        Assert.Equal(1, info.Index);
        Assert.Equal("Contoso Windows 11", info.Name);
        Assert.Equal("Reference image, built by the test", info.Description);
        Assert.Equal(WimTools.InfoNumber(wim, 1, "Total Bytes"), info.TotalBytes);
        Assert.Equal(WimTools.InfoNumber(wim, 1, "File Count"), info.FileCount);
        Assert.Equal(WimTools.InfoNumber(wim, 1, "Directory Count"), info.DirectoryCount);
        Assert.Equal(Path.GetFullPath(wim), image.Path);
    }

    [WimToolsFact]
    public void Open_WimWithTwoImages_ListsBoth_AndAppliesTheSecond()
    {
        var wim = CaptureTree(out _);
        var second = _temp.Combine("second");
        SourceTree.Build(second, seed: 2, randomMegabytes: 1);
        WimTools.Append(second, wim, "Contoso Windows 11 Enterprise");

        using var image = WimImage.Open(wim);
        Assert.Equal(2, image.ImageCount);
        Assert.Equal(["Contoso Windows 11", "Contoso Windows 11 Enterprise"], image.Images.Select(i => i.Name));
        Assert.Null(image.Images[1].Description);

        var target = _temp.Combine("applied-2");
        image.Apply(2, target);
        SourceTree.AssertEqual(second, target);
    }

    [WimToolsFact]
    public void Apply_ToDirectory_ReproducesTheTreeByteForByte()
    {
        var wim = CaptureTree(out var source);
        var target = _temp.Combine("applied");

        using var image = WimImage.Open(wim);
        image.Apply(1, target);

        SourceTree.AssertEqual(source, target);
        Assert.Empty(Directory.GetFiles(target, "*.bin", SearchOption.TopDirectoryOnly));
        Assert.Equal(0, new FileInfo(Path.Combine(target, "empty.dat")).Length);
        Assert.Equal("Users/Public/Documents/readme.txt", new FileInfo(Path.Combine(target, "readme-link.txt")).LinkTarget);
        Assert.Equal("Deployed by Deploycast\n", File.ReadAllText(Path.Combine(target, "readme-link.txt")));
    }

    [WimToolsFact]
    public void Apply_ReportsMonotonicProgress_ThatReachesTheImagesFileData()
    {
        var wim = CaptureTree(out var source);
        var fileBytes = Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories)
            .Select(path => new FileInfo(path)).Where(info => info.LinkTarget is null).Sum(info => info.Length);
        var progress = new RecordingProgress();

        using var image = WimImage.Open(wim);
        image.Apply(1, _temp.Combine("applied"), progress);

        progress.AssertMonotonic();
        var last = progress.Reports[^1];
        output.WriteLine($"{progress.Reports.Count} reports; total {last.TotalBytes}; regular files {fileBytes}; wiminfo Total Bytes {WimTools.InfoNumber(wim, 1, "Total Bytes")}");
        Assert.Equal(ImageApplyPhase.Done, last.Phase);
        Assert.Equal(last.TotalBytes, last.CompletedBytes);

        // The total read from wimlib's progress struct is the image's data as wiminfo counts it independently:
        // the regular files' bytes plus the symbolic link's reparse data (the tree has no hard links or duplicates).
        Assert.Equal(WimTools.InfoNumber(wim, 1, "Total Bytes"), last.TotalBytes);
        Assert.True(last.TotalBytes > fileBytes);

        // wimlib reports file data in small steps: many reports strictly between 0 and the total, all of one total.
        var writing = progress.Reports.Where(r => r.Phase == ImageApplyPhase.Writing).ToList();
        Assert.True(writing.Count(r => r.CompletedBytes > 0 && r.CompletedBytes < r.TotalBytes) > 20, $"only {writing.Count} writing reports");
        Assert.All(progress.Reports.Where(r => r.TotalBytes > 0), r => Assert.Equal(last.TotalBytes, r.TotalBytes));
    }

    [WimToolsFact]
    public void Apply_CanceledMidway_ThrowsOperationCanceled_AndStopsWriting()
    {
        var wim = CaptureTree(out _);
        using var cancellation = new CancellationTokenSource();
        var progress = new RecordingProgress(report =>
        {
            if (report.Phase == ImageApplyPhase.Writing && report.CompletedBytes > 256 * 1024)
            {
                cancellation.Cancel();
            }
        });

        using var image = WimImage.Open(wim);
        var exception = Assert.ThrowsAny<OperationCanceledException>(() => image.Apply(1, _temp.Combine("applied"), progress, cancellation.Token));

        Assert.Equal(cancellation.Token, exception.CancellationToken);
        Assert.DoesNotContain(progress.Reports, r => r.Phase == ImageApplyPhase.Done);
        Assert.True(progress.Reports[^1].CompletedBytes < progress.Reports[^1].TotalBytes / 2, "the apply went on after the cancellation");

        // The same WIM can be applied again afterwards.
        var again = _temp.Combine("again");
        image.Apply(1, again);
        Assert.True(File.Exists(Path.Combine(again, "Windows", "System32", "ntoskrnl.bin")));
    }

    [WimToolsFact]
    public void Apply_ProgressHandlerThrows_TheExceptionReachesTheCaller()
    {
        var wim = CaptureTree(out _);
        var progress = new RecordingProgress(report =>
        {
            if (report.Phase == ImageApplyPhase.Writing)
            {
                throw new InvalidDataException("progress bar broke");
            }
        });

        using var image = WimImage.Open(wim);
        var exception = Assert.Throws<InvalidDataException>(() => image.Apply(1, _temp.Combine("applied"), progress));
        Assert.Equal("progress bar broke", exception.Message);
    }

    [WimToolsFact]
    public void Apply_IndexThatDoesNotExist_SaysSoAndNamesTheFile()
    {
        var wim = CaptureTree(out _);

        using var image = WimImage.Open(wim);
        var exception = Assert.Throws<ImageApplyException>(() => image.Apply(3, _temp.Combine("applied")));

        Assert.Equal($"Image index 3 does not exist in {Path.GetFullPath(wim)}, which holds 1 image (indexes start at 1).", exception.Message);
        Assert.Equal(3, exception.ImageIndex);
        Assert.False(Directory.Exists(_temp.Combine("applied")));
    }

    [WimToolsFact]
    public void Apply_CorruptedWim_ThrowsImageApplyException_WithWimlibsError()
    {
        var wim = CaptureTree(out _);
        var bytes = File.ReadAllBytes(wim);
        for (var i = 0; i < 64; i++)
        {
            bytes[(bytes.Length / 2) + i] ^= 0x5A;
        }

        File.WriteAllBytes(wim, bytes);

        var exception = Assert.Throws<ImageApplyException>(() =>
        {
            using var image = WimImage.Open(wim);
            image.Apply(1, _temp.Combine("applied"));
        });

        Assert.NotNull(exception.WimErrorCode);
        Assert.False(string.IsNullOrEmpty(exception.WimErrorText));
        Assert.Contains(exception.WimErrorText!, exception.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFullPath(wim), exception.Message, StringComparison.Ordinal);
        Assert.Contains("damaged", exception.Message, StringComparison.Ordinal);
    }

    [WimToolsFact]
    public void Open_FileThatIsNotAWim_ThrowsImageApplyException()
    {
        var path = _temp.Combine("notes.wim");
        File.WriteAllText(path, "this is not a Windows image, just a text file that is long enough to have a header");

        var exception = Assert.Throws<ImageApplyException>(() => WimImage.Open(path));

        Assert.Equal(path, exception.ImagePath);
        Assert.Contains("Cannot open " + path, exception.Message, StringComparison.Ordinal);
        Assert.NotNull(exception.WimErrorCode);
    }

    [WimToolsFact]
    public void Apply_ToAFileWithoutNtfs_IsRefusedWithTheReason()
    {
        var wim = CaptureTree(out _);
        var volume = _temp.Combine("volume.img");
        File.WriteAllBytes(volume, new byte[1 << 20]);

        using var image = WimImage.Open(wim);
        var exception = Assert.Throws<ImageApplyException>(() => image.Apply(1, volume));

        Assert.Contains("holds no NTFS file system", exception.Message, StringComparison.Ordinal);
        Assert.All(File.ReadAllBytes(volume), b => Assert.Equal(0, b));
    }

    [NtfsToolsFact]
    public void Apply_ToAFileHoldingNtfs_WritesTheFilesIntoTheVolume()
    {
        var wim = CaptureTree(out var source);
        var volume = _temp.Combine("ntfs.img");
        using (var file = File.Create(volume))
        {
            file.SetLength(64 << 20);
        }

        Tool.Run("mkntfs", "--quiet", "--fast", "--force", volume);
        var progress = new RecordingProgress();

        using var image = WimImage.Open(wim);
        image.Apply(1, volume, progress);

        progress.AssertMonotonic();
        Assert.Equal(ImageApplyPhase.Done, progress.Reports[^1].Phase);
        var expected = File.ReadAllBytes(Path.Combine(source, "Windows", "System32", "drivers", "disk.sys"));
        var actual = ReadNtfsFile(volume, "/Windows/System32/drivers/disk.sys");
        Assert.True(expected.AsSpan().SequenceEqual(actual), "disk.sys differs inside the NTFS volume");
        Assert.Equal("Deployed by Deploycast\n", System.Text.Encoding.UTF8.GetString(ReadNtfsFile(volume, "/Users/Public/Documents/readme.txt")));
    }

    private static byte[] ReadNtfsFile(string volume, string path)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ntfscat", [volume, path]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        using var buffer = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(buffer);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return buffer.ToArray();
    }

    private string CaptureTree(out string source)
    {
        source = _temp.Combine("source");
        SourceTree.Build(source);
        var wim = _temp.Combine("install.wim");
        WimTools.Capture(source, wim, "Contoso Windows 11", "Reference image, built by the test");
        return wim;
    }
}
