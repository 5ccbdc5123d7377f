using Deploycast.Agent;
using Deploycast.Agent.Content;
using Deploycast.Agent.Engine;
using Deploycast.Agent.Logging;
using Deploycast.Agent.Steps;
using Deploycast.Site.Model;

namespace Deploycast.IntegrationTests;

/// <summary>
/// The agent's content source and apply step against a real server on loopback (site and DP in one process, HTTPS,
/// UDP multicast on 127.0.0.1): the device gets its policy with its own credential, and the content as the rules say.
/// </summary>
public sealed class AgentContentTests
{
    [Fact]
    public async Task Multicast_RawImage_ArrivesByteEqual()
    {
        await using var site = await AgentContentSite.StartAsync();
        var image = RawImageWithHoles(site.Server.Directory.File("lab.img"), 12 << 20, seed: 1);
        var packageId = await site.ImportAsync(image, ImageType.Raw);
        var (deviceId, credential) = await site.RegisterDeviceAsync("minint-mc");
        await site.DeployAsync(deviceId, ContentOption.DownloadLocallyWhenNeeded, allowUnicastFallback: true, packageId);
        var policy = await site.PolicyAsync(credential);
        var deployment = Assert.Single(policy.Deployments);
        var content = Assert.Single(deployment.Content);
        Assert.True(content.Multicast);

        using var work = new TempDirectory();
        var progress = new Reports();
        var result = await site.ContentSource(work.Path, "minint-mc", credential, policy)
            .AcquireWithResultAsync(deployment, content, work.Path, progress, CancellationToken.None);

        Assert.Equal("multicast", result.Method);
        Assert.Equal(0, result.BytesByUnicast);
        Assert.Equal(await File.ReadAllBytesAsync(image), await File.ReadAllBytesAsync(result.Path));
        Assert.Equal(ContentSource.ContentPath(work.Path, content), result.Path);
        Assert.Contains(progress.All, p => p.Text.StartsWith($"Receiving {packageId} by multicast: ", StringComparison.Ordinal));
        Assert.Equal(100, progress.All[^1].Percent);

        // Asked again (the next step that needs it, or after a restart): found at once, nothing fetched.
        var again = await site.ContentSource(work.Path, "minint-mc", credential, policy)
            .AcquireWithResultAsync(deployment, content, work.Path, null, CancellationToken.None);
        Assert.Equal("already downloaded", again.Method);
        Assert.Equal(0, again.BytesByMulticast + again.BytesByUnicast);
    }

    [Fact]
    public async Task MulticastDisabledOnTheDp_FallsBackToUnicast()
    {
        await using var site = await AgentContentSite.StartAsync();
        var image = RawImageWithHoles(site.Server.Directory.File("lab.img"), 6 << 20, seed: 2);
        var packageId = await site.ImportAsync(image, ImageType.Raw);
        var (deviceId, credential) = await site.RegisterDeviceAsync("minint-uc");
        await site.DeployAsync(deviceId, ContentOption.DownloadLocallyWhenNeeded, allowUnicastFallback: true, packageId);
        var policy = await site.PolicyAsync(credential);
        var deployment = Assert.Single(policy.Deployments);
        await site.SetMulticastEnabledAsync(false);

        using var work = new TempDirectory();
        var progress = new Reports();
        var result = await site.ContentSource(work.Path, "minint-uc", credential, policy)
            .AcquireWithResultAsync(deployment, deployment.Content[0], work.Path, progress, CancellationToken.None);

        Assert.Equal("unicast", result.Method);
        Assert.Equal(0, result.BytesByMulticast);
        Assert.Equal(await File.ReadAllBytesAsync(image), await File.ReadAllBytesAsync(result.Path));
        Assert.Contains(progress.All, p => p.Text.StartsWith($"Receiving {packageId} by unicast: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MulticastOnlyPackage_WhileTheDpHasMulticastDisabled_IsUnavailable_WithAClearMessage()
    {
        await using var site = await AgentContentSite.StartAsync();
        var image = RawImageWithHoles(site.Server.Directory.File("lab.img"), 2 << 20, seed: 3);
        var packageId = await site.ImportAsync(image, ImageType.Raw, multicastOnly: true);
        var (deviceId, credential) = await site.RegisterDeviceAsync("minint-mo");
        await site.DeployAsync(deviceId, ContentOption.DownloadLocallyWhenNeeded, allowUnicastFallback: true, packageId);
        var policy = await site.PolicyAsync(credential);
        var deployment = Assert.Single(policy.Deployments);
        await site.SetMulticastEnabledAsync(false);

        using var work = new TempDirectory();
        var source = site.ContentSource(work.Path, "minint-mo", credential, policy);
        var error = await Assert.ThrowsAsync<ContentUnavailableException>(() =>
            source.AcquireAsync(deployment, deployment.Content[0], work.Path, null, CancellationToken.None));

        Assert.Contains($"Package {packageId} version 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("transfer only via multicast", error.Message, StringComparison.Ordinal);
        Assert.Contains("has multicast disabled", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(ContentSource.ContentPath(work.Path, deployment.Content[0])));
    }

    [Fact]
    public async Task DeploymentWithoutUnicastFallback_WhileTheDpHasMulticastDisabled_IsUnavailable_AndNothingIsFetchedByHttp()
    {
        await using var site = await AgentContentSite.StartAsync();
        var image = RawImageWithHoles(site.Server.Directory.File("lab.img"), 2 << 20, seed: 6);
        var packageId = await site.ImportAsync(image, ImageType.Raw);
        var (deviceId, credential) = await site.RegisterDeviceAsync("minint-nofallback");
        await site.DeployAsync(deviceId, ContentOption.DownloadLocallyWhenNeeded, allowUnicastFallback: false, packageId);
        var policy = await site.PolicyAsync(credential);
        var deployment = Assert.Single(policy.Deployments);
        Assert.False(deployment.Content[0].UnicastAllowed);
        await site.SetMulticastEnabledAsync(false);

        using var work = new TempDirectory();
        var error = await Assert.ThrowsAsync<ContentUnavailableException>(() =>
            site.ContentSource(work.Path, "minint-nofallback", credential, policy).AcquireAsync(deployment, deployment.Content[0], work.Path, null, CancellationToken.None));

        Assert.Contains($"Package {packageId} version 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("has multicast disabled", error.Message, StringComparison.Ordinal);
        Assert.Contains("allow unicast fallback on the deployment", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(ContentSource.ContentPath(work.Path, deployment.Content[0])));
    }

    [Fact]
    public async Task EncryptedPackage_ReachesTheDeviceItIsDeployedTo_ButNotAnother()
    {
        await using var site = await AgentContentSite.StartAsync();
        var image = RawImageWithHoles(site.Server.Directory.File("secret.img"), 6 << 20, seed: 4);
        var packageId = await site.ImportAsync(image, ImageType.Raw, encrypt: true);
        var (deviceA, credentialA) = await site.RegisterDeviceAsync("minint-a");
        var (_, credentialB) = await site.RegisterDeviceAsync("minint-b");
        await site.DeployAsync(deviceA, ContentOption.DownloadLocallyWhenNeeded, allowUnicastFallback: true, packageId);
        var policy = await site.PolicyAsync(credentialA);
        var deployment = Assert.Single(policy.Deployments);
        Assert.True(deployment.Content[0].EncryptMulticast);

        using var workA = new TempDirectory();
        var result = await site.ContentSource(workA.Path, "minint-a", credentialA, policy)
            .AcquireWithResultAsync(deployment, deployment.Content[0], workA.Path, null, CancellationToken.None);
        Assert.Equal("multicast", result.Method);
        Assert.Equal(await File.ReadAllBytesAsync(image), await File.ReadAllBytesAsync(result.Path));

        // B, to which nothing is deployed, holding A's policy: the DP gives it neither the session key nor the content.
        using var workB = new TempDirectory();
        var error = await Assert.ThrowsAsync<ContentUnavailableException>(() =>
            site.ContentSource(workB.Path, "minint-b", credentialB, policy).AcquireAsync(deployment, deployment.Content[0], workB.Path, null, CancellationToken.None));
        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(ContentSource.ContentPath(workB.Path, deployment.Content[0])));
    }

    [Fact]
    public async Task DownloadCanceledMidway_ResumesAndFetchesOnlyWhatWasMissing()
    {
        await using var site = await AgentContentSite.StartAsync();
        var image = site.Server.Directory.File("big.img");
        var bytes = new byte[64 << 20];
        new Random(5).NextBytes(bytes);
        await File.WriteAllBytesAsync(image, bytes);
        var packageId = await site.ImportAsync(image, ImageType.Raw);
        var (deviceId, credential) = await site.RegisterDeviceAsync("minint-resume");
        await site.DeployAsync(deviceId, ContentOption.DownloadAllBeforeStarting, allowUnicastFallback: true, packageId);
        var policy = await site.PolicyAsync(credential);
        var deployment = Assert.Single(policy.Deployments);
        var content = deployment.Content[0];
        Assert.False(content.Multicast);

        using var work = new TempDirectory();
        using var cancel = new CancellationTokenSource();
        var stopAtHalf = new Reports(p =>
        {
            if (p.Percent >= 50)
            {
                cancel.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            site.ContentSource(work.Path, "minint-resume", credential, policy).AcquireAsync(deployment, content, work.Path, stopAtHalf, cancel.Token));
        var path = ContentSource.ContentPath(work.Path, content);
        Assert.True(File.Exists(path + ".dcmap"), "a canceled download keeps its block map");

        var result = await site.ContentSource(work.Path, "minint-resume", credential, policy)
            .AcquireWithResultAsync(deployment, content, work.Path, null, CancellationToken.None);
        Assert.Equal("unicast", result.Method);
        Assert.InRange(result.BytesByUnicast, 1, bytes.Length * 3L / 4);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(result.Path));
        Assert.False(File.Exists(path + ".dcmap"));
    }

    [NeedsToolFact("mkfs.ext4", "e2fsprogs")]
    public async Task ApplyImageStep_Ext4RawImage_AppliedToAFile_PassesE2fsck()
    {
        await using var site = await AgentContentSite.StartAsync();
        var source = site.Server.Directory.File("tree");
        AgentContentTools.MakeTree(source, randomMegabytes: 3);
        var image = site.Server.Directory.File("ext4.img");
        AgentContentTools.Check("mkfs.ext4", "-q", "-d", source, image, "32M");
        var packageId = await site.ImportAsync(image, ImageType.Raw);
        var (deviceId, credential) = await site.RegisterDeviceAsync("minint-ext4");
        await site.DeployAsync(deviceId, ContentOption.DownloadLocallyWhenNeeded, allowUnicastFallback: true, packageId);
        var policy = await site.PolicyAsync(credential);

        using var work = new TempDirectory();
        var target = work.File("disk.img");
        var progress = new Reports();
        var result = await RunApplyAsync(site, work, credential, policy, new() { ["package"] = packageId, ["destination"] = target }, progress);

        Assert.True(result.Succeeded, result.Message);
        var (exitCode, output) = AgentContentTools.Run("e2fsck", "-fn", target);
        Assert.True(exitCode == 0, $"e2fsck -fn exited {exitCode}: {output}");
        Assert.Equal(await File.ReadAllBytesAsync(image), await File.ReadAllBytesAsync(target));
        Assert.Contains(progress.All, p => p.Percent <= ApplyImageStep.DownloadPercent && p.Text.StartsWith($"Receiving {packageId}", StringComparison.Ordinal));
        Assert.Contains(progress.All, p => p.Percent > ApplyImageStep.DownloadPercent && p.Text.StartsWith("Applying", StringComparison.Ordinal));
        Assert.Equal(100, progress.All[^1].Percent);
    }

    [NeedsToolFact("wimcapture", "wimtools")]
    public async Task ApplyImageStep_Wim_AppliedToADirectory_EqualsTheCapturedTree()
    {
        await using var site = await AgentContentSite.StartAsync();
        var (source, packageId, credential, policy) = await CaptureAndDeployWimAsync(site, "minint-wim");

        using var work = new TempDirectory();
        var target = work.File("applied");
        var result = await RunApplyAsync(site, work, credential, policy, new() { ["package"] = packageId, ["imageIndex"] = "1", ["destination"] = target }, new Reports());

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(AgentContentTools.Tree(source), AgentContentTools.Tree(target));
    }

    [NeedsToolFact("wimcapture", "wimtools")]
    public async Task ApplyImageStep_WimIndexThatDoesNotExist_FailsWithWimlibsReason()
    {
        await using var site = await AgentContentSite.StartAsync();
        var (_, packageId, credential, policy) = await CaptureAndDeployWimAsync(site, "minint-wim3");

        using var work = new TempDirectory();
        var result = await RunApplyAsync(site, work, credential, policy, new() { ["package"] = packageId, ["imageIndex"] = "3", ["destination"] = work.File("applied") }, new Reports());

        Assert.False(result.Succeeded);
        Assert.Contains("Image index 3 does not exist", result.Message, StringComparison.Ordinal);
    }

    internal static async Task<StepResult> RunApplyAsync(AgentContentSite site, TempDirectory work, string credential, DevicePolicy policy,
        Dictionary<string, string> parameters, IProgress<StepProgress> progress)
    {
        var deployment = Assert.Single(policy.Deployments);
        using var log = new AgentLog(work.File("log"));
        var options = new AgentOptions { Server = site.Server.Url, DataDirectory = work.Path, DeviceName = "minint-apply" };
        var step = new ApplyImageStep(site.ContentSource(work.Path, "minint-apply", credential, policy));
        return await step.RunAsync(new StepContext
        {
            Deployment = deployment,
            Index = 0,
            Step = deployment.TaskSequence.Steps[0],
            Parameters = parameters,
            Variables = new Dictionary<string, string>(),
            WorkDirectory = work.File("DC400001"),
            Options = options,
            Log = log,
            Progress = progress,
        }, CancellationToken.None);
    }

    /// <summary>Random data with all-zero stretches, which the DP never sends and the agent must still get right.</summary>
    internal static string RawImageWithHoles(string path, int size, int seed)
    {
        var bytes = new byte[size];
        var random = new Random(seed);
        random.NextBytes(bytes.AsSpan(0, size / 3));
        random.NextBytes(bytes.AsSpan(size * 2 / 3));
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Captures a tree into a WIM, imports it and deploys index 1 to a new device; returns the device's policy.</summary>
    internal static async Task<(string Source, string PackageId, string Credential, DevicePolicy Policy)> CaptureAndDeployWimAsync(AgentContentSite site, string deviceName,
        ContentOption option = ContentOption.DownloadLocallyWhenNeeded)
    {
        var source = site.Server.Directory.File("tree");
        AgentContentTools.MakeTree(source, randomMegabytes: 3);
        var wim = site.Server.Directory.File("x.wim");
        AgentContentTools.Check("wimcapture", source, wim);
        var packageId = await site.ImportAsync(wim, ImageType.Wim);
        var (deviceId, credential) = await site.RegisterDeviceAsync(deviceName);
        await site.DeployAsync(deviceId, option, allowUnicastFallback: true, packageId, imageIndex: 1);
        return (source, packageId, credential, await site.PolicyAsync(credential));
    }

    /// <summary>Step progress, kept in order; an optional handler sees each report as it is made.</summary>
    internal sealed class Reports(Action<StepProgress>? onReport = null) : IProgress<StepProgress>
    {
        private readonly List<StepProgress> _all = [];

        public List<StepProgress> All
        {
            get
            {
                lock (_all)
                {
                    return [.. _all];
                }
            }
        }

        public void Report(StepProgress value)
        {
            lock (_all)
            {
                _all.Add(value);
            }

            onReport?.Invoke(value);
        }
    }
}
