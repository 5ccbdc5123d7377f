using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Deploycast.Client;
using Deploycast.DistributionPoint.Sessions;

namespace Deploycast.IntegrationTests;

/// <summary>The distribution point as clients and administrators use it: real Kestrel over HTTPS on loopback, real multicast.</summary>
public sealed class DistributionPointTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>A raw-disk-like image: random data, then an empty stretch (never sent), then data again.</summary>
    private static string MakeImage(TempDirectory directory, int randomBytes, int zeroBytes, int seed)
    {
        var bytes = new byte[randomBytes + zeroBytes + 100_000];
        var random = new Random(seed);
        random.NextBytes(bytes.AsSpan(0, randomBytes));
        random.NextBytes(bytes.AsSpan(randomBytes + zeroBytes));
        var path = directory.File($"image-{seed}.img");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public async Task Package_ReachesThreeMulticastClients_OneJoiningLate_AndAFourthByUnicastFallback_AllByteEqual()
    {
        await using var server = await DistributionPointServer.StartAsync();
        var image = MakeImage(server.Directory, 10_000_000, 4_000_000, 1);
        await server.AddPackageAsync("DC100001", image);

        // A ceiling makes the transfer last a few seconds, so the late client really joins in progress; with room
        // for three clients the fourth is answered "busy" and falls back to unicast, which the package allows.
        Assert.Empty(server.Role.UpdateSettings(server.Role.Settings with { ClientTransferRate = 30_000_000, MaximumClients = 3 }));

        Task<DownloadResult> Download(string client) => Task.Run(async () =>
        {
            using var dp = server.Client();
            return await new PackageDownloader(dp, new DownloadOptions { ClientId = client })
                .DownloadAsync("DC100001", 1, server.Directory.File($"{client}.img"), null, CancellationToken.None);
        });

        var first = Download("pc1");
        var second = Download("pc2");
        await WaitUntilAsync(() => server.Role.Scheduler.GetSessions().Any(s => s.Clients.Any(c => c.Progress > 0.05)), "the first clients to receive data");
        var late = Download("pc3");
        await WaitUntilAsync(() => server.Role.Scheduler.GetSessions().Any(s => s.Clients.Count == 3), "the late client to be admitted");
        var fallback = Download("pc4");

        var results = await Task.WhenAll(first, second, late, fallback).WaitAsync(TimeSpan.FromMinutes(2));
        var expected = await File.ReadAllBytesAsync(image);
        foreach (var client in new[] { "pc1", "pc2", "pc3", "pc4" })
        {
            var written = await File.ReadAllBytesAsync(server.Directory.File($"{client}.img"));
            Assert.True(expected.SequenceEqual(written), $"{client} wrote different bytes");
        }

        Assert.All(results[..3], r => Assert.Equal("multicast", r.Method));
        Assert.Equal("unicast", results[3].Method);
        Assert.Contains(results[3].Notes, n => n.Contains("maximum", StringComparison.OrdinalIgnoreCase) || n.Contains("busy", StringComparison.OrdinalIgnoreCase));
        Assert.True(results[3].BytesByUnicast < expected.Length - 3_000_000, "unicast must skip the all-zero blocks too");

        // Monitoring tells the same story, once the scheduler has applied the sender's last acknowledgements
        // (a receiver returns as soon as it is acknowledged; the DP records that on its next pass).
        await WaitUntilAsync(
            () => server.Role.Scheduler.GetSessions().Single().Clients.All(c => c.State == SessionClientState.Completed),
            "the DP to record every multicast client as completed");
        using var admin = server.Http(DistributionPointServer.AdminToken);
        var sessions = await admin.GetFromJsonAsync<JsonElement>("/api/v1/dp/sessions", Json);
        var clients = sessions.EnumerateArray().Single().GetProperty("clients").EnumerateArray().ToList();
        Assert.Equal(["pc1", "pc2", "pc3"], clients.Select(c => c.GetProperty("clientId").GetString()).Order());
        Assert.All(clients, c => Assert.Equal("Completed", c.GetProperty("state").GetString()));
        var status = await admin.GetFromJsonAsync<JsonElement>("/api/v1/dp/status-messages?limit=200", Json);
        Assert.Contains(status.EnumerateArray(), m => m.GetProperty("description").GetString()!.Contains("pc4", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CorruptedLibraryFile_IsReportedByValidation_AndServedNeitherByUnicastNorByMulticast()
    {
        await using var server = await DistributionPointServer.StartAsync();
        var image = MakeImage(server.Directory, 2_000_000, 0, 2);
        await server.AddPackageAsync("DC100002", image);
        var item = server.Role.Library.List().Single();
        await using (var data = new FileStream(item.DataPath, FileMode.Open, FileAccess.ReadWrite))
        {
            data.Position = 1_000_000;
            var b = data.ReadByte();
            data.Position = 1_000_000;
            data.WriteByte((byte)(b ^ 0x40));
        }

        using var admin = server.Http(DistributionPointServer.AdminToken);
        using var validation = await admin.PostAsync("/api/v1/dp/content/validate", null);
        Assert.Equal(HttpStatusCode.OK, validation.StatusCode);
        var report = await validation.Content.ReadAsStringAsync();
        Assert.Contains("Corrupt", report, StringComparison.Ordinal);
        Assert.Contains("block 5", report, StringComparison.Ordinal); // 1,000,000 / 182,528 = block 5

        using var http = server.Http();
        using var content = await http.GetAsync("/api/v1/dp/content/DC100002/1");
        Assert.Equal(HttpStatusCode.Conflict, content.StatusCode);
        Assert.Contains("corrupt", await content.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        using var dp = server.Client();
        var decision = await dp.RequestSessionAsync("pc1", "DC100002", 1, CancellationToken.None);
        Assert.Equal("refused", decision.Decision);
        Assert.Contains("not served", decision.Reason, StringComparison.Ordinal);
        Assert.Contains(server.Role.RecentStatus(50), s => s.MessageId == Deploycast.DistributionPoint.Hosting.DistributionPointMessages.ContentCorrupt);
    }

    [Fact]
    public async Task SessionRequests_AreValidated_WithProblemDetailsNamingTheField()
    {
        await using var server = await DistributionPointServer.StartAsync();
        using var http = server.Http();
        using var empty = await http.PostAsJsonAsync("/api/v1/dp/sessions", new { });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal("application/problem+json", empty.Content.Headers.ContentType?.MediaType);
        var problem = await empty.Content.ReadFromJsonAsync<JsonElement>(Json);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("clientId", out _));
        Assert.True(errors.TryGetProperty("packageId", out _));
        Assert.True(errors.TryGetProperty("version", out _));

        using var unknown = await http.PostAsJsonAsync("/api/v1/dp/sessions", new { clientId = "pc1", packageId = "NOPE0001", version = 1 });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("NOPE0001", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var badJson = await http.PostAsync("/api/v1/dp/sessions", new StringContent("{\"version\": \"x\"", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
    }

    [Fact]
    public async Task MulticastOnlyPackage_IsRefusedByUnicast_ButOfferedAMulticastSession()
    {
        await using var server = await DistributionPointServer.StartAsync();
        await server.AddPackageAsync("DC100003", MakeImage(server.Directory, 500_000, 0, 3), multicastOnly: true);
        using var http = server.Http();
        using var content = await http.GetAsync("/api/v1/dp/content/DC100003/1");
        Assert.Equal(HttpStatusCode.Forbidden, content.StatusCode);
        Assert.Contains("only via multicast", await content.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var dp = server.Client();
        var decision = await dp.RequestSessionAsync("pc1", "DC100003", 1, CancellationToken.None);
        Assert.Equal("join", decision.Decision);
        Assert.False(decision.UnicastAllowed);
        Assert.Null(decision.ContentUrl);

        // With multicast disabled on the DP nothing can serve it: refused, with the reason.
        Assert.Empty(server.Role.UpdateSettings(server.Role.Settings with { Enabled = false }));
        var refused = await dp.RequestSessionAsync("pc2", "DC100003", 1, CancellationToken.None);
        Assert.Equal("refused", refused.Decision);
    }

    [Fact]
    public async Task EncryptedPackage_KeyIsGivenOnlyWithTheClientToken()
    {
        await using var server = await DistributionPointServer.StartAsync();
        await server.AddPackageAsync("DC100004", MakeImage(server.Directory, 500_000, 0, 4), encrypt: true);

        using var anonymous = server.Http();
        using var withoutToken = await anonymous.PostAsJsonAsync("/api/v1/dp/sessions", new { clientId = "pc1", packageId = "DC100004", version = 1 });
        Assert.Equal(HttpStatusCode.Unauthorized, withoutToken.StatusCode);
        Assert.DoesNotContain("\"key\"", await withoutToken.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var wrong = server.Http("not-the-client-token-at-all");
        using var withWrongToken = await wrong.PostAsJsonAsync("/api/v1/dp/sessions", new { clientId = "pc1", packageId = "DC100004", version = 1 });
        Assert.Equal(HttpStatusCode.Unauthorized, withWrongToken.StatusCode);

        using var unicastWithoutToken = await anonymous.GetAsync("/api/v1/dp/content/DC100004/1");
        Assert.Equal(HttpStatusCode.Unauthorized, unicastWithoutToken.StatusCode);

        using var dp = server.Client();
        var decision = await dp.RequestSessionAsync("pc1", "DC100004", 1, CancellationToken.None);
        Assert.Equal("join", decision.Decision);
        Assert.Equal(32, Convert.FromBase64String(decision.Session!.Key!).Length);

        // The encrypted session works end to end with the key the DP gave.
        var result = await new PackageDownloader(dp, new DownloadOptions { ClientId = "pc1" })
            .DownloadAsync("DC100004", 1, server.Directory.File("pc1.img"), null, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal("multicast", result.Method);
    }

    [Fact]
    public async Task AdministratorEndpoints_RefuseMissingAndWrongTokens_AndSettingsErrorsNameTheSetting()
    {
        await using var server = await DistributionPointServer.StartAsync();
        using var anonymous = server.Http();
        using var none = await anonymous.GetAsync("/api/v1/dp/multicast");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        using var client = server.Http(DistributionPointServer.ClientToken);
        using var clientOnly = await client.GetAsync("/api/v1/dp/sessions");
        Assert.Equal(HttpStatusCode.Unauthorized, clientOnly.StatusCode);

        using var admin = server.Http(DistributionPointServer.AdminToken);
        var settings = await admin.GetFromJsonAsync<JsonElement>("/api/v1/dp/multicast", Json);
        Assert.Equal(63000, settings.GetProperty("portRangeStart").GetInt32());

        using var bad = await admin.PutAsJsonAsync("/api/v1/dp/multicast", new { enabled = true, addressRangeStart = "10.1.2.3", addressRangeEnd = "239.255.0.10", portRangeStart = 63000, portRangeEnd = 64000, multistreamTiers = 4 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("AddressRangeStart", out var address));
        Assert.Contains("10.1.2.3", address[0].GetString(), StringComparison.Ordinal);
        Assert.True(errors.TryGetProperty("MultistreamTiers", out _));
        Assert.Equal(63000, server.Role.Settings.PortRangeStart); // nothing changed

        using var good = await admin.PutAsJsonAsync("/api/v1/dp/multicast", server.Role.Settings with { ScheduledMulticast = true, MinimumSessionSize = 5 }, Json);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.True(server.Role.Settings.ScheduledMulticast);

        // Scheduled-cast: a client is asked to wait, with a retry hint.
        await server.AddPackageAsync("DC100005", MakeImage(server.Directory, 300_000, 0, 5));
        using var dp = server.Client();
        var wait = await dp.RequestSessionAsync("pc1", "DC100005", 1, CancellationToken.None);
        Assert.Equal("wait", wait.Decision);
        Assert.NotNull(wait.RetryAfterSeconds);
    }

    [Fact]
    public async Task SessionEvents_StreamTheSessionList()
    {
        await using var server = await DistributionPointServer.StartAsync();
        using var admin = server.Http(DistributionPointServer.AdminToken);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await admin.GetAsync("/api/v1/dp/sessions/events", HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var stream = await response.Content.ReadAsStreamAsync(cancel.Token);
        using var reader = new StreamReader(stream);
        Assert.Equal("event: sessions", await reader.ReadLineAsync(cancel.Token));
        Assert.Equal("data: []", await reader.ReadLineAsync(cancel.Token));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }
}
