using Deploycast.Imaging.Raw;

namespace Deploycast.Imaging.Tests;

public sealed class RawImageTests : IDisposable
{
    private const long ImageSize = 64 << 20;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [E2fsprogsFact]
    public void Apply_Ext4ImageToAFile_IsByteEqual_PassesFsck_AndStaysSparse()
    {
        var image = BuildExt4Image();
        var target = _temp.Combine("disk.img");
        var progress = new RecordingProgress();

        RawImage.Apply(image, target, progress: progress);

        AssertSameBytes(image, target);
        var (exitCode, output, error) = Tool.RunWithExitCode("e2fsck", "-fn", target);
        Assert.True(exitCode == 0, $"e2fsck -fn exited {exitCode}: {output}{error}");
        Assert.Equal(ImageSize, new FileInfo(target).Length);
        var allocated = Tool.AllocatedBytes(target);
        Assert.True(allocated < ImageSize / 4, $"{allocated} bytes allocated for a {ImageSize}-byte image: not sparse");

        progress.AssertMonotonic();
        Assert.Equal(new ImageApplyProgress(ImageSize, ImageSize, ImageApplyPhase.Done), progress.Reports[^1]);
        Assert.Contains(progress.Reports, r => r.Phase == ImageApplyPhase.Writing && r.CompletedBytes > 0 && r.CompletedBytes < ImageSize);
    }

    [E2fsprogsFact]
    public void Writer_BlocksArrivingInAnyOrder_MakeTheSameImage()
    {
        var image = BuildExt4Image();
        var source = File.ReadAllBytes(image);
        var target = _temp.Combine("disk.img");
        const int blockSize = 182_528; // a manifest block: not a multiple of the 4 KiB page
        var blocks = Enumerable.Range(0, (int)((source.Length + blockSize - 1) / blockSize)).ToArray();
        new Random(7).Shuffle(blocks);
        var progress = new RecordingProgress();

        using (var writer = RawImageWriter.Open(target, source.Length, progress: progress))
        {
            Parallel.ForEach(blocks, new ParallelOptions { MaxDegreeOfParallelism = 4 }, block =>
            {
                var offset = (long)block * blockSize;
                var length = (int)Math.Min(blockSize, source.Length - offset);
                writer.Write(offset, source.AsSpan((int)offset, length));
            });

            Assert.True(writer.BytesWritten < source.Length / 4, $"{writer.BytesWritten} bytes written: zero pages were not skipped");
            writer.Complete();
        }

        AssertSameBytes(image, target);
        Assert.True(Tool.AllocatedBytes(target) < ImageSize / 4);
        Assert.Equal(0, Tool.RunWithExitCode("e2fsck", "-fn", target).ExitCode);
        Assert.Equal(ImageApplyPhase.Done, progress.Reports[^1].Phase);
        Assert.Equal(source.Length, progress.Reports[^1].CompletedBytes);
    }

    [Fact]
    public void Writer_ZerosWrittenOverData_ReadAsZeros_AndFreeTheSpace()
    {
        var target = _temp.Combine("disk.img");
        var data = new byte[1 << 20];
        new Random(3).NextBytes(data);

        using (var writer = RawImageWriter.Open(target, 4 << 20))
        {
            writer.Write(1 << 20, data);
            writer.Write(1 << 20, new byte[1 << 20]); // the same block again, now all zero
            writer.Write(3 << 20, data);
            writer.Complete();
        }

        var result = File.ReadAllBytes(target);
        Assert.Equal(4 << 20, result.Length);
        Assert.False(result.AsSpan(0, 3 << 20).ContainsAnyExcept((byte)0));
        Assert.True(result.AsSpan(3 << 20).SequenceEqual(data));
        Assert.InRange(Tool.AllocatedBytes(target), 1 << 20, (1 << 20) + (64 << 10));
    }

    [Fact]
    public void Apply_Canceled_ThrowsOperationCanceled()
    {
        var source = _temp.Combine("random.img");
        var bytes = new byte[32 << 20];
        new Random(5).NextBytes(bytes);
        File.WriteAllBytes(source, bytes);
        using var cancellation = new CancellationTokenSource();
        var progress = new RecordingProgress(report =>
        {
            if (report.CompletedBytes > 0)
            {
                cancellation.Cancel();
            }
        });

        Assert.ThrowsAny<OperationCanceledException>(() => RawImage.Apply(source, _temp.Combine("disk.img"), progress: progress, cancellationToken: cancellation.Token));

        Assert.DoesNotContain(progress.Reports, r => r.Phase == ImageApplyPhase.Done);
        Assert.True(progress.Reports[^1].CompletedBytes < bytes.Length);
    }

    [Fact]
    public void Apply_SourceStreamEndsEarly_SaysHowFarItGot()
    {
        using var source = new MemoryStream(new byte[1000]);

        var exception = Assert.Throws<ImageApplyException>(() => RawImage.Apply(source, 5000, _temp.Combine("disk.img")));

        Assert.Contains("ended after 1,000 of 5,000 bytes", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Writer_TargetIsADirectory_IsRefused_AndWritesPastTheEndAreRejected()
    {
        var exception = Assert.Throws<ImageApplyException>(() => RawImageWriter.Open(_temp.Path, 4096));
        Assert.Contains("it is a directory; the target must be a block device or a regular file", exception.Message, StringComparison.Ordinal);

        using var writer = RawImageWriter.Open(_temp.Combine("disk.img"), 4096);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(4000, new byte[100]));
    }

    [LoopDeviceFact]
    public void Apply_ToABlockDeviceHoldingOldData_WritesTheZerosToo()
    {
        var image = BuildExt4Image();
        using var device = LoopOverGarbage(ImageSize);

        RawImage.Apply(image, device.Path);

        AssertSameBytes(image, device.Path);
        Assert.Equal(0, Tool.RunWithExitCode("e2fsck", "-fn", device.Path).ExitCode);
    }

    [LoopDeviceFact]
    public void Apply_ToABlockDeviceAssumedZeroed_SkipsZeroPages_SoOldDataShowsThrough()
    {
        var image = BuildExt4Image();
        using var device = LoopOverGarbage(ImageSize);

        using (var writer = RawImageWriter.Open(device.Path, ImageSize, new RawImageWriterOptions { AssumeZeroedTarget = true }))
        {
            var bytes = File.ReadAllBytes(image);
            writer.Write(0, bytes);
            Assert.True(writer.BytesWritten < ImageSize / 4);
            writer.Complete();
        }

        // The option is a promise about the device; broken here on purpose, the old 0xFF bytes stay where the image has zeros.
        var onDevice = ReadAll(device.Path, ImageSize);
        Assert.Contains((byte)0xFF, onDevice);
    }

    [LoopDeviceFact]
    public void Complete_OnABlockDevice_ZeroesTheRangesNeverWritten()
    {
        using var device = LoopOverGarbage(8 << 20);
        var data = new byte[100_000];
        new Random(9).NextBytes(data);
        var progress = new RecordingProgress();

        using (var writer = RawImageWriter.Open(device.Path, 8 << 20, progress: progress))
        {
            Assert.True(writer.TargetIsBlockDevice);
            writer.Write(1_000_001, data); // unaligned on both ends
            writer.Write(5 << 20, data);
            writer.Complete();
        }

        var onDevice = ReadAll(device.Path, 8 << 20);
        var expected = new byte[8 << 20];
        data.CopyTo(expected, 1_000_001);
        data.CopyTo(expected, 5 << 20);
        Assert.True(expected.AsSpan().SequenceEqual(onDevice), "the device does not hold the data with zeros around it");
        progress.AssertMonotonic();
        Assert.Equal(new ImageApplyProgress(8 << 20, 8 << 20, ImageApplyPhase.Done), progress.Reports[^1]);
    }

    [LoopDeviceFact]
    public void Open_BlockDeviceTooSmallOrInUse_IsRefused()
    {
        using var device = LoopOverGarbage(4 << 20);

        var tooSmall = Assert.Throws<ImageApplyException>(() => RawImageWriter.Open(device.Path, 5 << 20));
        Assert.Contains("the device holds only 4,194,304 bytes", tooSmall.Message, StringComparison.Ordinal);

        using var first = RawImageWriter.Open(device.Path, 4 << 20);
        var busy = Assert.Throws<ImageApplyException>(() => RawImageWriter.Open(device.Path, 4 << 20));
        Assert.Contains("it is in use", busy.Message, StringComparison.Ordinal);
    }

    private string BuildExt4Image()
    {
        var tree = _temp.Combine("tree");
        SourceTree.Build(tree);
        var image = _temp.Combine("rootfs.img");
        Tool.Run("mkfs.ext4", "-q", "-F", "-d", tree, image, "64M");
        return image;
    }

    private LoopDevice LoopOverGarbage(long size)
    {
        var backing = _temp.Combine($"backing-{Guid.NewGuid():N}.bin");
        var garbage = new byte[size];
        Array.Fill(garbage, (byte)0xFF);
        File.WriteAllBytes(backing, garbage);
        return new LoopDevice(backing);
    }

    private static byte[] ReadAll(string path, long length)
    {
        var bytes = new byte[length];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static void AssertSameBytes(string expectedPath, string actualPath)
    {
        var expected = File.ReadAllBytes(expectedPath);
        var actual = ReadAll(actualPath, expected.Length);
        Assert.True(expected.AsSpan().SequenceEqual(actual), $"{actualPath} differs from {expectedPath}");
    }
}
