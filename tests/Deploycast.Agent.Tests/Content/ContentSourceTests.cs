using Deploycast.Agent.Content;
using Deploycast.Agent.Engine;
using Deploycast.Site.Model;
using static Deploycast.Agent.Tests.Content.ContentTestData;

namespace Deploycast.Agent.Tests.Content;

/// <summary>What the content source decides without a distribution point (the network side is in the integration tests).</summary>
public sealed class ContentSourceTests
{
    [Fact]
    public void ContentPath_IsUnderTheWorkDirectory_ByPackageAndVersion()
    {
        Assert.Equal(Path.Combine("/var/lib/agent/DC400001", "content", "DC100001-v1.img"), ContentSource.ContentPath("/var/lib/agent/DC400001", Package(type: ImageType.Raw)));
        Assert.EndsWith("DC100001-v1.wim", ContentSource.ContentPath("/w", Package(type: ImageType.Wim)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlreadyDownloadedAndVerified_ReturnsAtOnce_WithoutAnyDistributionPoint()
    {
        using var folder = new TempFolder();
        var bytes = new byte[300_000];
        new Random(1).NextBytes(bytes);
        var content = PackageOf(bytes, ImageType.Raw, Unreachable);
        var path = ContentSource.ContentPath(folder.Path, content);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, bytes);

        var source = new ContentSource(Options(folder.Path), () => null, () => null);
        var deployment = Deployment(ContentOption.DownloadLocallyWhenNeeded, content);
        var first = await source.AcquireWithResultAsync(deployment, content, folder.Path, null, CancellationToken.None);
        var second = await source.AcquireWithResultAsync(deployment, content, folder.Path, null, CancellationToken.None);

        Assert.Equal(path, first.Path);
        Assert.Equal("already downloaded", first.Method);
        Assert.Equal("already downloaded", second.Method);
        Assert.Equal(0, second.BytesByMulticast + second.BytesByUnicast);
        Assert.True(File.Exists(path + ".verified"));
    }

    [Fact]
    public async Task CorruptedLocalCopy_IsNotReturned_AndTheDownloadIsTriedAgain()
    {
        using var folder = new TempFolder();
        var bytes = new byte[300_000];
        new Random(2).NextBytes(bytes);
        var content = PackageOf(bytes, ImageType.Raw, Unreachable);
        var path = ContentSource.ContentPath(folder.Path, content);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        bytes[1000] ^= 0xFF;
        await File.WriteAllBytesAsync(path, bytes);

        var source = new ContentSource(Options(folder.Path), () => null, () => null, settings: new ContentSourceOptions { ConnectTimeout = TimeSpan.FromSeconds(2) });
        var error = await Assert.ThrowsAsync<ContentUnavailableException>(() =>
            source.AcquireAsync(Deployment(ContentOption.DownloadLocallyWhenNeeded, content), content, folder.Path, null, CancellationToken.None));
        Assert.Contains("nowhere", error.Message, StringComparison.Ordinal);
        Assert.Contains("not reachable", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoDistributionPointInThePolicy_IsAClearError()
    {
        using var folder = new TempFolder();
        var content = Package();
        var source = new ContentSource(Options(folder.Path), () => null, () => null);
        var error = await Assert.ThrowsAsync<ContentUnavailableException>(() =>
            source.AcquireAsync(Deployment(ContentOption.DownloadLocallyWhenNeeded, content), content, folder.Path, null, CancellationToken.None));
        Assert.Equal("Package DC100001 version 1 ('Lab image') is on no distribution point the policy lists; distribute the content and let the agent fetch policy again.", error.Message);
    }

    [Fact]
    public async Task MulticastOnlyPackage_UnderDownloadAllFirst_IsRefusedBeforeAnyDistributionPointIsAsked()
    {
        using var folder = new TempFolder();
        var content = Package(multicast: false, unicast: false, multicastOnly: true, dps: Unreachable);
        var source = new ContentSource(Options(folder.Path), () => null, () => null);
        var error = await Assert.ThrowsAsync<ContentUnavailableException>(() =>
            source.PrepareAllAsync(Deployment(ContentOption.DownloadAllBeforeStarting, content), folder.Path, null, CancellationToken.None));
        Assert.Contains("transfer only via multicast", error.Message, StringComparison.Ordinal);
        Assert.Contains("Download all content locally before starting task sequence", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenStream_MulticastOnlyPackage_IsRefusedBeforeAnyDistributionPointIsAsked()
    {
        using var folder = new TempFolder();
        var content = Package(multicast: false, unicast: false, multicastOnly: true, dps: Unreachable);
        var source = new ContentSource(Options(folder.Path), () => null, () => null);
        var error = await Assert.ThrowsAsync<ContentUnavailableException>(() =>
            source.OpenStreamAsync(Deployment(ContentOption.AccessDirectly, content), content, CancellationToken.None));
        Assert.Contains("transfer only via multicast", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Access content directly from a distribution point'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("nowhere", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(folder.Path, "content")));
    }

    [Fact]
    public async Task OpenStream_NoDistributionPointAnswers_SaysWhyForEach()
    {
        using var folder = new TempFolder();
        var content = Package(dps: Unreachable);
        var source = new ContentSource(Options(folder.Path), () => null, () => null, settings: new ContentSourceOptions { ConnectTimeout = TimeSpan.FromSeconds(2) });
        var error = await Assert.ThrowsAsync<ContentUnavailableException>(() =>
            source.OpenStreamAsync(Deployment(ContentOption.AccessDirectly, content), content, CancellationToken.None));
        Assert.StartsWith("distribution point nowhere (https://127.0.0.1:1/) is not reachable", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrepareAll_ReportsOverallProgress_AcrossEveryContent()
    {
        using var folder = new TempFolder();
        var a = new byte[100_000];
        var b = new byte[300_000];
        new Random(3).NextBytes(a);
        new Random(4).NextBytes(b);
        var first = PackageOf(a, ImageType.Raw, Unreachable) with { PackageId = "DC100001" };
        var second = PackageOf(b, ImageType.File, Unreachable) with { PackageId = "DC100002" };
        foreach (var (content, bytes) in new[] { (first, a), (second, b) })
        {
            var path = ContentSource.ContentPath(folder.Path, content);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, bytes);
        }

        var progress = new ProgressLog<StepProgress>();
        var source = new ContentSource(Options(folder.Path), () => null, () => null);
        await source.PrepareAllAsync(Deployment(ContentOption.DownloadAllBeforeStarting, first, second), folder.Path, progress, CancellationToken.None);

        Assert.Contains(progress.Reports, p => p.Percent == 25 && p.Text.StartsWith("(1 of 2)", StringComparison.Ordinal));
        Assert.Contains(progress.Reports, p => p.Text.StartsWith("(2 of 2)", StringComparison.Ordinal));
        Assert.Equal(100, progress.Reports[^1].Percent);
        Assert.Equal(progress.Reports.Select(p => p.Percent).Order(), progress.Reports.Select(p => p.Percent));
    }
}
