using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Deploycast.Client;
using Deploycast.Server;
using Deploycast.Site.Model;
using Microsoft.Extensions.DependencyInjection;

namespace Deploycast.IntegrationTests;

/// <summary>
/// A second server registers with the site as a distribution point, and the site distributes a package to it: the DP
/// pulls it from the site's own DP over HTTPS, checks it against the site-signed manifest, and serves it to agents.
/// </summary>
public sealed class ContentDistributionTests
{
    private static readonly Dictionary<string, string?> FastPolls = new() { ["Site:DistributionPointPollInterval"] = "00:00:01" };

    [Fact]
    public async Task DistributedPackage_IsInstalledOnDp2_PolicyListsIt_AndADownloadFromDp2IsByteEqual()
    {
        await using var site = await AgentContentSite.StartAsync(FastPolls);
        await using var dp2 = await DistributionPointServer.StartAsync();
        var image = ImageWithZeros(site.Server.Directory, "lab.img", 3 << 20, seed: 41);
        var packageId = await site.ImportAsync(image, ImageType.Raw);
        await RegisterAsync(site.Server, dp2, "dp2");

        var distributed = await AdminCli.RunAsync(site.Server, "package", "distribute", packageId, "--dp", "dp2");
        distributed.AssertSuccess();
        Assert.Contains("In progress", distributed.Output, StringComparison.Ordinal);

        var installed = await WaitForStateAsync(site.Server, packageId, "dp2", DistributionState.Installed);
        Assert.Null(installed.GetProperty("message").GetString());
        var held = dp2.Role.GetPackage(packageId, 1);
        Assert.NotNull(held);

        // The manifest and signature on dp2 are the site's, unchanged: dp2's own key signed nothing.
        var siteItem = site.Server.Role.Library.Get(held.ContentId)!;
        var dp2Item = dp2.Role.Library.Get(held.ContentId)!;
        Assert.Equal(siteItem.ManifestBytes, dp2Item.ManifestBytes);
        Assert.Equal(siteItem.Signature, dp2Item.Signature);
        Assert.NotEqual(site.Server.Started.SiteKeyFingerprint, dp2.Started.SiteKeyFingerprint);

        var (deviceId, credential) = await site.RegisterDeviceAsync("LAB-DP2-01");
        await site.DeployAsync(deviceId, ContentOption.DownloadLocallyWhenNeeded, allowUnicastFallback: true, packageId);
        var policy = await site.PolicyAsync(credential);
        var content = Assert.Single(Assert.Single(policy.Deployments).Content);
        Assert.Equal(["local", "dp2"], content.DistributionPoints.Select(d => d.Id));
        var listed = content.DistributionPoints[1];
        Assert.Equal(dp2.Started.AdvertisedUrl, listed.Url);
        Assert.Equal(dp2.Started.CertificateFingerprint, listed.CertificateFingerprint);

        // What an agent does with dp2 from the policy: pin its certificate, trust only the site key, download.
        var output = site.Server.Directory.File("from-dp2.img");
        using (var client = new DistributionPointClient(listed.Url, listed.CertificateFingerprint, credential))
        {
            var result = await new PackageDownloader(client, new DownloadOptions
            {
                ClientId = "LAB-DP2-01",
                SiteKeyFingerprint = site.Server.Started.SiteKeyFingerprint,
                MaxWait = TimeSpan.FromMinutes(1),
            }).DownloadAsync(packageId, 1, output, progress: null, CancellationToken.None);
            Assert.Equal(new FileInfo(image).Length, result.Size);
        }

        Assert.Equal(await File.ReadAllBytesAsync(image), await File.ReadAllBytesAsync(output));

        // The poll is dp2's heartbeat: the site shows what it reported.
        using var admin = site.Server.Http(DistributionPointServer.AdminToken);
        var dps = await admin.GetFromJsonAsync<JsonElement>("/api/v1/distribution-points");
        var health = dps.EnumerateArray().Single(d => d.GetProperty("id").GetString() == "dp2").GetProperty("health");
        Assert.True(health.GetProperty("multicastEnabled").GetBoolean());
        Assert.Equal(dp2.Role.Settings.Interface, health.GetProperty("interface").GetString());
        Assert.Equal(1, health.GetProperty("packages").GetInt32());
        Assert.Equal(0, health.GetProperty("unservableContent").GetInt32());
    }

    [Fact]
    public async Task EncryptedPackageOnDp2_GoesToTheDeviceItIsDeployedTo_NotToAnother_AsTheSiteDecides()
    {
        await using var site = await AgentContentSite.StartAsync(FastPolls);
        await using var dp2 = await DistributionPointServer.StartAsync();
        var packageId = await site.ImportAsync(site.Server.Directory.RandomFile("secret.img", 1 << 20, seed: 9), ImageType.Raw, encrypt: true);
        await RegisterAsync(site.Server, dp2, "dp2");
        (await AdminCli.RunAsync(site.Server, "package", "distribute", packageId, "--dp", "dp2")).AssertSuccess();
        await WaitForStateAsync(site.Server, packageId, "dp2", DistributionState.Installed);
        var (deviceA, credentialA) = await site.RegisterDeviceAsync("ENC-A");
        var (_, credentialB) = await site.RegisterDeviceAsync("ENC-B");
        await site.DeployAsync(deviceA, ContentOption.DownloadLocallyWhenNeeded, allowUnicastFallback: true, packageId);

        // dp2's own site knows neither device: it asks the site it registered with, which knows A and A's deployment.
        var checks = dp2.App.Services.GetRequiredService<SiteClientChecks>();
        Assert.True(checks.IsConnected);
        using (var a = new DistributionPointClient(dp2.Started.AdvertisedUrl, dp2.Started.CertificateFingerprint, credentialA))
        {
            var decision = await a.RequestSessionAsync("ENC-A", packageId, 1, CancellationToken.None);
            Assert.False(string.IsNullOrEmpty(decision.Session?.Key), $"A gets the session key ({decision.Decision}: {decision.Reason})");
            using var range = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/dp/content/{packageId}/1") { Headers = { Range = new(0, 999) } };
            using var http = dp2.Http(credentialA);
            using var partial = await http.SendAsync(range);
            Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        }

        // One question to the site, then dp2 answers from memory (a download asks for every range).
        var asked = checks.SiteQuestions;
        Assert.Equal(1, asked);

        // B, deployed nothing, is refused the key and the content; so is a made-up credential.
        foreach (var stranger in new[] { credentialB, "dcd_" + new string('x', 43) })
        {
            using var b = new DistributionPointClient(dp2.Started.AdvertisedUrl, dp2.Started.CertificateFingerprint, stranger);
            var refused = await Assert.ThrowsAsync<DistributionPointException>(() => b.RequestSessionAsync("ENC-B", packageId, 1, CancellationToken.None));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
            using var http = dp2.Http(stranger);
            using var content = await http.GetAsync($"/api/v1/dp/content/{packageId}/1");
            Assert.Equal(HttpStatusCode.Unauthorized, content.StatusCode);
        }

        Assert.Equal(asked + 2, checks.SiteQuestions);

        // The question itself: only a registered DP may ask, and a question missing its parts is named.
        using var anonymous = site.Server.Http();
        using (var unauthorized = await anonymous.PostAsJsonAsync("/api/v1/distribution-points/check-client", new { token = credentialA, packageId }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        }

        using var asDp2 = site.Server.Http(SavedSiteRegistration.Load(dp2.Started.DataDirectory)!.Credential);
        using var empty = await asDp2.PostAsJsonAsync("/api/v1/distribution-points/check-client", new { });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        var problem = await empty.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("token", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("packageId", out _));
    }

    [Fact]
    public async Task RemovingContentAndTheDp_DeletesTheContentOnDp2_AndPolicyStopsListingIt()
    {
        await using var site = await AgentContentSite.StartAsync(FastPolls);
        await using var dp2 = await DistributionPointServer.StartAsync();
        var packageId = await site.ImportAsync(site.Server.Directory.RandomFile("small.img", 500_000, seed: 7), ImageType.Raw);
        await RegisterAsync(site.Server, dp2, "dp2");
        using var admin = site.Server.Http(DistributionPointServer.AdminToken);
        using (var accepted = await admin.PostAsJsonAsync($"/api/v1/packages/{packageId}/distribution-points", new { distributionPointIds = new[] { "dp2" } }))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        var contentId = (await WaitForStateAsync(site.Server, packageId, "dp2", DistributionState.Installed)).GetProperty("packageId").GetString();
        Assert.NotNull(contentId);
        var held = dp2.Role.GetPackage(packageId, 1)!;

        var removed = await AdminCli.RunAsync(site.Server, "package", "remove-content", packageId, "--dp", "dp2");
        removed.AssertSuccess();
        await WaitUntilAsync(() => dp2.Role.GetPackage(packageId, 1) is null, "dp2 to delete the package it no longer has assigned");
        Assert.Null(dp2.Role.Library.Get(held.ContentId));
        var details = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/packages/{packageId}");
        Assert.DoesNotContain(details.GetProperty("distribution").EnumerateArray(), d => d.GetProperty("distributionPointId").GetString() == "dp2");

        var again = await AdminCli.RunAsync(site.Server, "package", "remove-content", packageId, "--dp", "dp2");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("is not distributed to 'dp2'", again.Error, StringComparison.Ordinal);

        var unregistered = await AdminCli.RunAsync(site.Server, "dp", "remove", "dp2");
        unregistered.AssertSuccess();
        var dps = await admin.GetFromJsonAsync<JsonElement>("/api/v1/distribution-points");
        Assert.DoesNotContain(dps.EnumerateArray(), d => d.GetProperty("id").GetString() == "dp2");
        var local = await AdminCli.RunAsync(site.Server, "dp", "remove", "local");
        Assert.Equal(1, local.ExitCode);
        Assert.Contains("409", local.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TamperedContent_IsNeverInstalled_AndPolicyDoesNotListTheDp()
    {
        await using var site = await AgentContentSite.StartAsync(FastPolls);
        await using var dp2 = await DistributionPointServer.StartAsync();
        var image = site.Server.Directory.RandomFile("tampered.img", 2 << 20, seed: 3);
        var packageId = await site.ImportAsync(image, ImageType.Raw);

        // Someone changes a byte of the site's stored copy and puts the last-write time back, so the site's library still
        // calls it valid and serves it: only the block hashes of the signed manifest can catch it.
        var contentId = site.Server.Role.ListPackages().Single(p => p.PackageId == packageId).ContentId;
        var data = Path.Combine(site.Server.Role.Library.Root, "content", contentId[..2], contentId, "data");
        await FlipByteKeepingLastWriteAsync(data, 1_000_000);
        await RegisterAsync(site.Server, dp2, "dp2");
        using var admin = site.Server.Http(DistributionPointServer.AdminToken);
        using (var accepted = await admin.PostAsJsonAsync($"/api/v1/packages/{packageId}/distribution-points", new { distributionPointIds = new[] { "dp2" } }))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        var failed = await WaitForStateAsync(site.Server, packageId, "dp2", DistributionState.Failed);
        Assert.Contains("does not match the signed manifest", failed.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Null(dp2.Role.GetPackage(packageId, 1));
        Assert.Null(dp2.Role.Library.Get(contentId));

        // It stays Failed (dp2 does not fetch it again on every poll) and is never listed for agents.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var details = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/packages/{packageId}");
        Assert.Equal("Failed", details.GetProperty("distribution").EnumerateArray().Single(d => d.GetProperty("distributionPointId").GetString() == "dp2").GetProperty("state").GetString());
        var (deviceId, credential) = await site.RegisterDeviceAsync("LAB-DP2-02");
        await site.DeployAsync(deviceId, ContentOption.DownloadLocallyWhenNeeded, allowUnicastFallback: true, packageId);
        var policy = await site.PolicyAsync(credential);
        Assert.Equal(["local"], Assert.Single(Assert.Single(policy.Deployments).Content).DistributionPoints.Select(d => d.Id));
        var messages = await admin.GetFromJsonAsync<JsonElement>("/api/v1/status-messages?distributionPointId=dp2");
        Assert.Contains(messages.GetProperty("items").EnumerateArray(), m => m.GetProperty("severity").GetString() == "Error"
            && m.GetProperty("text").GetString()!.Contains(packageId, StringComparison.Ordinal));

        // The site's copy is repaired; distributing again ("Redistribute") sets it back to In progress and dp2 fetches it anew.
        await FlipByteKeepingLastWriteAsync(data, 1_000_000);
        var again = await AdminCli.RunAsync(site.Server, "package", "distribute", packageId, "--dp", "dp2");
        again.AssertSuccess();
        Assert.Contains("In progress", again.Output, StringComparison.Ordinal);
        await WaitForStateAsync(site.Server, packageId, "dp2", DistributionState.Installed);
        Assert.Equal(await File.ReadAllBytesAsync(image), await File.ReadAllBytesAsync(Path.Combine(dp2.Role.Library.Root, "content", contentId[..2], contentId, "data")));
        Assert.Empty(Directory.GetFiles(Path.Combine(dp2.Started.DataDirectory, "distribution")));
    }

    [Fact]
    public async Task Distribute_ToAnUnknownOrTheLocalDp_Is400NamingEachEntry_AndPollWithoutCredentialIs401()
    {
        await using var site = await AgentContentSite.StartAsync();
        var packageId = await site.ImportAsync(site.Server.Directory.RandomFile("p.img", 10_000, seed: 1), ImageType.Raw);
        using var admin = site.Server.Http(DistributionPointServer.AdminToken);

        using var response = await admin.PostAsJsonAsync($"/api/v1/packages/{packageId}/distribution-points", new { distributionPointIds = new[] { "nowhere", "local" } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains("no distribution point 'nowhere'", errors.GetProperty("distributionPointIds[0]")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("own distribution point", errors.GetProperty("distributionPointIds[1]")[0].GetString(), StringComparison.Ordinal);

        using var empty = await admin.PostAsJsonAsync($"/api/v1/packages/{packageId}/distribution-points", new { });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.True((await empty.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("distributionPointIds", out _));

        var cli = await AdminCli.RunAsync(site.Server, "package", "distribute", packageId, "--dp", "nowhere");
        Assert.Equal(1, cli.ExitCode);
        Assert.Contains("(--dp nowhere): There is no distribution point 'nowhere'", cli.Error, StringComparison.Ordinal);

        foreach (var token in new[] { null, "dcp_not-a-credential", DistributionPointServer.AdminToken })
        {
            using var http = site.Server.Http(token);
            using var poll = await http.PostAsJsonAsync("/api/v1/distribution-points/poll", new { });
            Assert.Equal(HttpStatusCode.Unauthorized, poll.StatusCode);
            Assert.Equal("Distribution point credential required", (await poll.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        }
    }

    [Fact]
    public async Task RestartedDp_WithoutATokenOrRegisterWith_GoesOnPollingWithItsSavedCredential()
    {
        await using var site = await AgentContentSite.StartAsync(FastPolls);
        using var dpData = new TempDirectory();
        var first = await DistributionPointServer.StartAsync(directory: dpData);
        var packageId = await site.ImportAsync(site.Server.Directory.RandomFile("restart.img", 300_000, seed: 11), ImageType.Raw);
        try
        {
            await RegisterAsync(site.Server, first, "dp2");
            var saved = File.ReadAllText(Path.Combine(first.Started.DataDirectory, SavedSiteRegistration.FileName));
            Assert.Contains("\"credential\": \"dcp_", saved, StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(first.Started.DataDirectory, SavedSiteRegistration.FileName)));
            }
        }
        finally
        {
            await first.DisposeAsync();
        }

        // The token is revoked meanwhile: the DP must not need it.
        foreach (var token in await site.Server.Site.ListDistributionPointTokensAsync(CancellationToken.None))
        {
            await site.Server.Site.RevokeDistributionPointTokenAsync(token.Id, CancellationToken.None);
        }

        await using var second = await DistributionPointServer.StartAsync(directory: dpData);
        Assert.Equal("dp2", ServerHost.ResumeSiteSync(second.App, second.Started)?.DistributionPointId);
        (await AdminCli.RunAsync(site.Server, "package", "distribute", packageId, "--dp", "dp2")).AssertSuccess();

        await WaitForStateAsync(site.Server, packageId, "dp2", DistributionState.Installed);
        Assert.NotNull(second.Role.GetPackage(packageId, 1));
        Assert.Equal(site.Server.Started.SiteKeyFingerprint, second.Role.PublishedKeyFingerprint);
    }

    /// <summary>Registers <paramref name="dp"/> with <paramref name="site"/> as <c>deploycast server --register-with</c> does, which starts its polling.</summary>
    private static async Task RegisterAsync(DistributionPointServer site, DistributionPointServer dp, string name)
    {
        var token = await AdminCli.JsonAsync(site, "dp", "token");
        var registered = await ServerHost.RegisterWithSiteAsync(dp.App, dp.Started,
            new SiteRegistrationOptions(site.Url, site.Started.CertificateFingerprint, token.GetProperty("token").GetString()!, name), CancellationToken.None);
        Assert.StartsWith("dcp_", registered.Credential, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> WaitForStateAsync(DistributionPointServer site, string packageId, string dpId, DistributionState state)
    {
        using var admin = site.Http(DistributionPointServer.AdminToken);
        var watch = Stopwatch.StartNew();
        JsonElement row = default;
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            var details = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/packages/{packageId}");
            row = details.GetProperty("distribution").EnumerateArray().FirstOrDefault(d => d.GetProperty("distributionPointId").GetString() == dpId);
            if (row.ValueKind == JsonValueKind.Object && row.GetProperty("state").GetString() == state.ToString())
            {
                return row;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"package {packageId} on {dpId} did not become {state} within 60 s; last: {row}");
        return row;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"timed out waiting for {what}");
            await Task.Delay(200);
        }
    }

    /// <summary>Changes one byte of a file (again: changes it back) and puts its last-write time back.</summary>
    private static async Task FlipByteKeepingLastWriteAsync(string path, long offset)
    {
        var written = File.GetLastWriteTimeUtc(path);
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = offset;
            var b = file.ReadByte();
            file.Position = offset;
            file.WriteByte((byte)(b ^ 0x5A));
        }

        File.SetLastWriteTimeUtc(path, written);
    }

    /// <summary>Random data with an all-zero middle, so sparse blocks travel too.</summary>
    private static string ImageWithZeros(TempDirectory directory, string name, int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        Array.Clear(bytes, size / 3, size / 3);
        var path = directory.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
