namespace Deploycast.Imaging.Tests;

public sealed class ImageApplierTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [WimToolsFact]
    public async Task ApplyAsync_Wim_AppliesTheChosenIndexToTheDirectory()
    {
        var first = _temp.Combine("first");
        var second = _temp.Combine("second");
        SourceTree.Build(first, seed: 1, randomMegabytes: 1);
        SourceTree.Build(second, seed: 2, randomMegabytes: 1);
        var wim = _temp.Combine("install.wim");
        WimTools.Capture(first, wim, "One");
        WimTools.Append(second, wim, "Two");
        var target = _temp.Combine("C");
        var progress = new RecordingProgress();

        var kind = await new ImageApplier().ApplyAsync(wim, target, new ImageApplyOptions { WimImageIndex = 2 }, progress);

        Assert.Equal(ImageKind.Wim, kind);
        SourceTree.AssertEqual(second, target);
        Assert.Equal(ImageApplyPhase.Done, progress.Reports[^1].Phase);
    }

    [Fact]
    public async Task ApplyAsync_RawByTheCallersWord_WritesTheImageSparse()
    {
        var image = _temp.Combine("disk.bin");
        using (var stream = File.Create(image))
        {
            stream.SetLength(16 << 20);
            stream.Position = 8 << 20;
            stream.Write(new byte[] { 1, 2, 3, 4 });
        }

        var target = _temp.Combine("target.img");

        var kind = await new ImageApplier().ApplyAsync(image, target, new ImageApplyOptions { TreatAsRaw = true });

        Assert.Equal(ImageKind.Raw, kind);
        Assert.Equal(File.ReadAllBytes(image), File.ReadAllBytes(target));
        Assert.True(Tool.AllocatedBytes(target) <= 64 << 10);
    }

    [Fact]
    public async Task ApplyAsync_AnyOtherFile_IsPlacedAtThePath()
    {
        var file = _temp.Combine("unattend.xml");
        File.WriteAllText(file, "<unattend/>");
        var target = _temp.Combine(Path.Combine("Windows", "Panther", "unattend.xml"));

        var kind = await new ImageApplier().ApplyAsync(file, target);

        Assert.Equal(ImageKind.File, kind);
        Assert.Equal("<unattend/>", File.ReadAllText(target));
    }

    [WimToolsFact]
    public async Task ApplyAsync_CanceledBeforeStart_DoesNothing()
    {
        var source = _temp.Combine("source");
        SourceTree.Build(source, randomMegabytes: 1);
        var wim = _temp.Combine("install.wim");
        WimTools.Capture(source, wim, "One");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new ImageApplier().ApplyAsync(wim, _temp.Combine("C"), cancellationToken: new CancellationToken(canceled: true)));

        Assert.False(Directory.Exists(_temp.Combine("C")));
    }
}
