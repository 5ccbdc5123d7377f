using System.Globalization;
using System.Net;
using Deploycast.Agent.Content;
using Deploycast.Agent.Logging;
using Deploycast.Agent.Steps;
using Deploycast.Client;
using Deploycast.Site.Model;
using static Deploycast.IntegrationTests.AgentContentTests;

namespace Deploycast.IntegrationTests;

/// <summary>
/// "Access content directly from a distribution point" against a real server on loopback: raw images and files are
/// streamed from the DP into the destination, every block verified before it is written, nothing staged in the work
/// directory; WIM images are still downloaded first.
/// </summary>
public sealed class AgentStreamingTests
{
    [Fact]
    public async Task AccessDirectly_RawImageWithHoles_IsStreamedIntoTheDestination_ByteEqual_AndNothingIsStaged()
    {
        await using var site = await AgentContentSite.StartAsync();
        var image = RawImageWithHoles(site.Server.Directory.File("lab.img"), 12 << 20, seed: 11);
        var (packageId, credential, policy) = await DeployDirectlyAsync(site, image, ImageType.Raw, "minint-stream");
        var zeroBytes = site.Server.Role.Library.List().Single().Manifest.ZeroBytes;
        Assert.True(zeroBytes > 0, "the image must have all-zero blocks for this test to mean anything");

        using var work = new TempDirectory();
        var target = work.File("disk.img");
        var progress = new Reports();
        var result = await RunApplyAsync(site, work, credential, policy, new() { ["package"] = packageId, ["destination"] = target }, progress);

        Assert.True(result.Succeeded, result.Message);
        Assert.StartsWith($"Streamed {packageId} ", result.Message, StringComparison.Ordinal);
        Assert.Equal(await File.ReadAllBytesAsync(image), await File.ReadAllBytesAsync(target));
        AssertNothingStaged(work);

        // One phase, 0 to 100% by bytes, never "Receiving" or "Applying".
        var percents = progress.All.Select(p => p.Percent).ToList();
        Assert.Equal(percents.Order(), percents);
        Assert.Equal(100, percents[^1]);
        Assert.Contains(progress.All, p => p.Text.StartsWith($"Streaming {packageId} to {target}: ", StringComparison.Ordinal) && p.Percent is > 0 and < 100);
        Assert.DoesNotContain(progress.All, p => p.Text.StartsWith("Receiving", StringComparison.Ordinal) || p.Text.StartsWith("Applying", StringComparison.Ordinal));

        // The all-zero blocks were not fetched.
        var log = await File.ReadAllTextAsync(Path.Combine(work.File("log"), AgentLog.FileName));
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{new FileInfo(image).Length - zeroBytes:N0} bytes fetched by HTTP, {zeroBytes:N0} all-zero"), log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessDirectly_File_IsStreamedIntoPlace_ByteEqual_ReplacingTheOldFile()
    {
        await using var site = await AgentContentSite.StartAsync();
        var file = site.Server.Directory.File("drivers.zip");
        var bytes = new byte[(7 << 20) + 12345];
        new Random(12).NextBytes(bytes);
        await File.WriteAllBytesAsync(file, bytes);
        var (packageId, credential, policy) = await DeployDirectlyAsync(site, file, ImageType.File, "minint-file");

        using var work = new TempDirectory();
        var folder = work.File("Drivers");
        Directory.CreateDirectory(folder);
        var target = Path.Combine(folder, "drivers.zip");
        await File.WriteAllTextAsync(target, "old version");
        var result = await RunApplyAsync(site, work, credential, policy, new() { ["package"] = packageId, ["destination"] = target }, new Reports());

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(target));
        Assert.Equal(["drivers.zip"], Directory.GetFiles(folder).Select(Path.GetFileName));
        AssertNothingStaged(work);
    }

    [Fact]
    public async Task AccessDirectly_BlockChangedOnTheDpAfterValidation_FailsNamingTheBlock_AndItsBytesAreNeverWritten()
    {
        await using var site = await AgentContentSite.StartAsync();
        var image = site.Server.Directory.File("lab.img");
        var bytes = new byte[12 << 20];
        new Random(13).NextBytes(bytes);
        await File.WriteAllBytesAsync(image, bytes);
        var (packageId, credential, policy) = await DeployDirectlyAsync(site, image, ImageType.Raw, "minint-badblock");

        // Change one byte far past the first range, and put the file's time back, so the DP still takes it for the
        // validated content and serves it: only the agent's block check can catch it.
        var item = site.Server.Role.Library.List().Single();
        const int Offset = 10 << 20;
        var badBlock = Offset / item.BlockSize;
        Assert.True(badBlock >= DistributionPointContent.BlocksPerRange, "the bad block must lie past the first range");
        CorruptKeepingTime(item.DataPath, Offset);

        using var work = new TempDirectory();
        var target = work.File("disk.img");
        var result = await RunApplyAsync(site, work, credential, policy, new() { ["package"] = packageId, ["destination"] = target }, new Reports());

        Assert.False(result.Succeeded);
        Assert.Contains($"block {badBlock} of {packageId} v1 from distribution point", result.Message, StringComparison.Ordinal);
        Assert.Contains("does not match the signed manifest", result.Message, StringComparison.Ordinal);
        Assert.Contains($"{target} is partly written, with verified blocks only", result.Message, StringComparison.Ordinal);
        Assert.Contains("streams the content again from the start", result.Message, StringComparison.Ordinal);

        // What was written is the image's beginning, verified, and stops before the bad block.
        var written = await File.ReadAllBytesAsync(target);
        Assert.InRange(written.Length, 1, (long)badBlock * item.BlockSize);
        Assert.Equal(bytes.AsSpan(0, written.Length).ToArray(), written);
        AssertNothingStaged(work);
    }

    [Fact]
    public async Task AccessDirectly_ContentTheDpKnowsIsCorrupt_IsRefusedWith409_AndTheDestinationIsNotTouched()
    {
        await using var site = await AgentContentSite.StartAsync();
        var image = RawImageWithHoles(site.Server.Directory.File("lab.img"), 4 << 20, seed: 14);
        var (packageId, credential, policy) = await DeployDirectlyAsync(site, image, ImageType.Raw, "minint-409");
        var item = site.Server.Role.Library.List().Single();
        CorruptKeepingTime(item.DataPath, 100_000);
        var report = await site.Server.Role.ValidateContentAsync(null, CancellationToken.None);
        Assert.Equal(Deploycast.Content.Library.ContentState.Corrupt, Assert.Single(report.Items).State);

        using var work = new TempDirectory();
        var target = work.File("disk.img");
        await File.WriteAllTextAsync(target, "what was there");
        var result = await RunApplyAsync(site, work, credential, policy, new() { ["package"] = packageId, ["destination"] = target }, new Reports());

        Assert.False(result.Succeeded);
        Assert.Contains("409", result.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt", result.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("what was there", await File.ReadAllTextAsync(target));
        AssertNothingStaged(work);
    }

    [Fact]
    public async Task AccessDirectly_PackageMadeMulticastOnlyOnTheDp_IsRefusedByTheDp_WithItsReason()
    {
        await using var site = await AgentContentSite.StartAsync();
        var image = RawImageWithHoles(site.Server.Directory.File("lab.img"), 2 << 20, seed: 15);
        var (packageId, credential, policy) = await DeployDirectlyAsync(site, image, ImageType.Raw, "minint-403");
        var deployment = Assert.Single(policy.Deployments);

        // The policy still says the package may travel by HTTP; the DP, where it is now multicast-only, says no.
        Assert.NotNull(site.Server.Role.SetPackageOptions(packageId, 1, null, null, multicastOnly: true));
        using var work = new TempDirectory();
        var error = await Assert.ThrowsAsync<ContentUnavailableException>(() =>
            site.ContentSource(work.Path, "minint-403", credential, policy).OpenStreamAsync(deployment, deployment.Content[0], CancellationToken.None));

        Assert.Contains("403", error.Message, StringComparison.Ordinal);
        Assert.Contains("Transfer only via multicast", error.Message, StringComparison.Ordinal);
        AssertNothingStaged(work);
    }

    [Fact]
    public async Task PackageContentStream_ReadInOddPieces_GivesTheContent_AndFetchesOnlyBlocksThatAreNotZero()
    {
        await using var server = await DistributionPointServer.StartAsync();
        var image = RawImageWithHoles(server.Directory.File("lab.img"), (9 << 20) + 777, seed: 16);
        await server.AddPackageAsync("DC100016", image);
        var manifest = server.Role.Library.List().Single().Manifest;

        await using var stream = await PackageContentStream.OpenAsync(server.Client(), "DC100016", 1,
            new ContentStreamOptions { SiteKeyFingerprint = server.Role.PublishedKeyFingerprint, BlocksPerRange = 5 }, leaveClientOpen: false, CancellationToken.None);
        var read = new MemoryStream();
        var buffer = new byte[100_003];
        var pieces = 0;
        int count;
        while ((count = pieces++ % 2 == 0 ? stream.Read(buffer) : await stream.ReadAsync(buffer)) > 0)
        {
            read.Write(buffer, 0, count);
        }

        Assert.Equal(await File.ReadAllBytesAsync(image), read.ToArray());
        Assert.Equal(manifest.FileSize - manifest.ZeroBytes, stream.BytesFetched);
        Assert.Equal(0, stream.Retries);
        Assert.Equal(Convert.ToHexStringLower(manifest.FileHash), stream.ContentId);
    }

    [Fact]
    public async Task PackageContentStream_OfAMulticastOnlyPackage_IsRefusedAtOpen()
    {
        await using var server = await DistributionPointServer.StartAsync();
        var image = RawImageWithHoles(server.Directory.File("lab.img"), 1 << 20, seed: 17);
        await server.AddPackageAsync("DC100017", image, multicastOnly: true);

        var error = await Assert.ThrowsAsync<DistributionPointException>(() =>
            PackageContentStream.OpenAsync(server.Client(token: null), "DC100017", 1, null, leaveClientOpen: false, CancellationToken.None));

        Assert.Equal(HttpStatusCode.Forbidden, error.Status);
        Assert.Contains("Transfer only via multicast", error.Message, StringComparison.Ordinal);
    }

    [NeedsToolFact("wimcapture", "wimtools")]
    public async Task AccessDirectly_Wim_IsStillDownloadedFirst_AndApplied()
    {
        await using var site = await AgentContentSite.StartAsync();
        var (source, packageId, credential, policy) = await CaptureAndDeployWimAsync(site, "minint-wim-direct", ContentOption.AccessDirectly);

        using var work = new TempDirectory();
        var target = work.File("applied");
        var result = await RunApplyAsync(site, work, credential, policy, new() { ["package"] = packageId, ["imageIndex"] = "1", ["destination"] = target }, new Reports());

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(AgentContentTools.Tree(source), AgentContentTools.Tree(target));
        Assert.True(File.Exists(ContentSource.ContentPath(work.File("DC400001"), policy.Deployments[0].Content[0])), "a WIM is staged in the work directory");
        var log = await File.ReadAllTextAsync(Path.Combine(work.File("log"), AgentLog.FileName));
        Assert.Contains("not streamed, because wimlib needs random access", log, StringComparison.Ordinal);
    }

    /// <summary>The work directory <see cref="AgentContentTests.RunApplyAsync"/> gives the step has no content in it.</summary>
    private static void AssertNothingStaged(TempDirectory work)
    {
        var content = Path.Combine(work.File("DC400001"), "content");
        Assert.False(Directory.Exists(content) && Directory.EnumerateFileSystemEntries(content).Any(), $"nothing may be staged in {content}");
    }

    /// <summary>Flips a byte of a stored file and puts its last-write time back, as a disk that rots under the DP would.</summary>
    private static void CorruptKeepingTime(string path, long offset)
    {
        var time = File.GetLastWriteTimeUtc(path);
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            var one = new byte[1];
            RandomAccess.Read(handle, one, offset);
            one[0] ^= 0x40;
            RandomAccess.Write(handle, one, offset);
        }

        File.SetLastWriteTimeUtc(path, time);
    }

    /// <summary>Imports <paramref name="path"/>, registers a device and deploys the package to it to be accessed directly; the device's policy.</summary>
    private static async Task<(string PackageId, string Credential, DevicePolicy Policy)> DeployDirectlyAsync(AgentContentSite site, string path, ImageType type, string deviceName)
    {
        var packageId = await site.ImportAsync(path, type);
        var (deviceId, credential) = await site.RegisterDeviceAsync(deviceName);
        await site.DeployAsync(deviceId, ContentOption.AccessDirectly, allowUnicastFallback: true, packageId);
        return (packageId, credential, await site.PolicyAsync(credential));
    }
}
