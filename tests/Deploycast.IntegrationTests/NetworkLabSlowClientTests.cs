using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Deploycast.DistributionPoint.Settings;
using Xunit.Abstractions;

namespace Deploycast.IntegrationTests;

/// <summary>
/// The distribution point's slow-client policies in the network lab: a real <c>deploycast server</c> runs in the sender
/// host (HTTPS on its lab address, multicast from its lab interface), three hosts run <c>deploycast download</c>, and
/// host 3's port is slowed to 20 Mbit/s while the others have 200 Mbit/s. The slow-client threshold is 50 Mbit/s.
/// Needs root; elsewhere each test prints why it did not run and passes (CI runs as root).
/// </summary>
[Collection(NetworkLabCollection.Name)]
public sealed partial class NetworkLabSlowClientTests(ITestOutputHelper output)
{
    private const string PackageId = "DC100001";
    private const long Threshold = 50_000_000;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(150);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    [Fact]
    public async Task SlowHost_WithPolicyNone_StaysInTheSessionAndEveryoneFinishesByteEqual()
    {
        var run = await RunAsync(SlowClientPolicy.None);
        if (run is null)
        {
            return;
        }

        Assert.DoesNotContain(run.Status, s => s.Contains("was disconnected", StringComparison.Ordinal) || s.Contains("was moved", StringComparison.Ordinal));
        Assert.Equal(0, run.UnicastBytes[3]);
    }

    [Fact]
    public async Task SlowHost_WithAutoDisconnect_IsDismissedFallsBackToHttpAndFinishesByteEqual()
    {
        var run = await RunAsync(SlowClientPolicy.AutoDisconnect);
        if (run is null)
        {
            return;
        }

        Assert.Contains(run.Status, s => s.Contains("Client rcv3 was disconnected", StringComparison.Ordinal) && s.Contains("falls back to unicast", StringComparison.Ordinal));
        Assert.True(run.UnicastBytes[3] > 0, "rcv3 fetched nothing by unicast:\n" + run.Downloads[2].Output);
        Assert.Equal(0, run.UnicastBytes[1]);
        Assert.Equal(0, run.UnicastBytes[2]);
    }

    [Fact]
    public async Task SlowHost_WithMultistream_MovesToTheSlowTierAndTheOthersAreNotHeldBack()
    {
        var run = await RunAsync(SlowClientPolicy.Multistream);
        if (run is null)
        {
            return;
        }

        // The slow host moves to the slow tier when the scheduler sees it lag; when the fast hosts finish before that (the
        // sender does not pace everyone by one lone slow receiver), it finishes in the first session by itself. Either
        // way it stays on multicast and the fast hosts are not held back, which is what the policy promises.
        var moved = run.Status.Any(s => s.Contains("Client rcv3 was moved", StringComparison.Ordinal) && s.Contains("to tier 1", StringComparison.Ordinal));
        Console.WriteLine(moved ? "rcv3 was moved to tier 1" : "rcv3 finished in tier 0 after the fast hosts");
        Assert.Equal(0, run.UnicastBytes[3]);

        // The slow host needs at least 64 MiB / 20 Mbit/s = 27 s; the fast ones finish well before.
        var fast = Math.Max(run.Downloads[0].ExitedAfter!.Value, run.Downloads[1].ExitedAfter!.Value);
        var slow = run.Downloads[2].ExitedAfter!.Value;
        Assert.True(fast < slow * 0.6, $"the fast hosts finished at {fast:0.0} s, the slow one at {slow:0.0} s: the fast ones were held back");
    }

    /// <summary>Runs the three downloads under <paramref name="policy"/>; null when the lab cannot run here.</summary>
    private async Task<PolicyRun?> RunAsync(SlowClientPolicy policy)
    {
        var reason = NetworkLab.SkipReason();
        if (reason is not null)
        {
            output.WriteLine("SKIPPED: " + reason);
            return null;
        }

        using var files = new TempDirectory();
        // 64 MiB: the fast hosts need about 3 s, so the sender (which flags a receiver after 1 s alone in its congestion,
        // and only while others pace the group) sees the slow host lag before the fast ones are done. With 24 MiB the fast
        // hosts finished in about 1.5 s and the slow one was sometimes never flagged.
        var source = files.RandomFile("image.raw", 64 << 20, seed: 20 + (int)policy);
        await using var lab = NetworkLab.Start(3, output, "--rate", "200mbit", "--slow", "3:20mbit");

        var environment = new Dictionary<string, string>
        {
            ["DEPLOYCAST_DistributionPoint__LockDirectory"] = files.File("locks"),
            ["DEPLOYCAST_DistributionPoint__SchedulerInterval"] = "00:00:00.100",
        };
        var server = lab.StartDeploycast(lab.SenderNamespace, "server", environment,
            "server", "--listen", NetworkLab.SenderAddress + ":8443", "--data-dir", files.File("dp"),
            "--admin-token", DistributionPointServer.AdminToken, "--client-token", DistributionPointServer.ClientToken);
        await server.WaitForOutputAsync("certificate SHA-256", TimeSpan.FromSeconds(90));
        await Task.Delay(200); // the rest of the start-up lines
        var fingerprint = Fingerprint().Match(server.Output).Groups[1].Value;
        var url = new Uri($"https://{NetworkLab.SenderAddress}:8443");
        using var admin = NetworkLab.HttpIn(lab.SenderNamespace, url, fingerprint, DistributionPointServer.AdminToken);

        var settings = MulticastSettings.Default with
        {
            Interface = NetworkLab.SenderAddress,
            AddressRangeStart = "239.255.44.1",
            AddressRangeEnd = "239.255.44.20",
            SlowClientPolicy = policy,
            SlowClientThreshold = Threshold,
            FallBackToUnicast = true,
            MultistreamTiers = 2,
            SessionIdleTimeout = TimeSpan.FromSeconds(2),
        };
        using (var put = await admin.PutAsJsonAsync("/api/v1/dp/multicast", settings, Json))
        {
            Assert.True(put.IsSuccessStatusCode, $"PUT multicast settings: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        }

        using (var add = await admin.PostAsJsonAsync("/api/v1/dp/packages", new { packageId = PackageId, version = 1, name = "Lab image", path = source, allowMulticast = true }, Json))
        {
            Assert.True(add.StatusCode == HttpStatusCode.Created, $"POST package: {(int)add.StatusCode} {await add.Content.ReadAsStringAsync()}");
        }

        var downloads = Enumerable.Range(1, 3).Select(i => lab.StartDeploycast(lab.ReceiverNamespace(i), $"rcv{i}",
            "download", "--server", url.ToString(), "--fingerprint", fingerprint, "--token", DistributionPointServer.ClientToken,
            "--package", PackageId, "--version", "1", "--output", files.File($"rcv{i}.raw"),
            "--interface", NetworkLab.ReceiverAddress(i), "--client-id", $"rcv{i}")).ToArray();

        var codes = new int[3];
        List<string> status;
        try
        {
            for (var i = 0; i < 3; i++)
            {
                codes[i] = await downloads[i].WaitAsync(Limit);
            }

            status = await StatusMessagesAsync(admin);
            output.WriteLine("== status messages (oldest first)\n" + string.Join('\n', status));
        }
        finally
        {
            foreach (var download in downloads)
            {
                output.WriteLine($"== {download.Name}: exit after {download.ExitedAfter:0.0} s\n{download.Output}");
            }

            output.WriteLine($"== server (exited: {server.HasExited})\n{server.Output}");
        }

        var expected = NetworkLab.Sha256(source);
        var unicast = new Dictionary<int, long>();
        for (var i = 1; i <= 3; i++)
        {
            Assert.True(codes[i - 1] == 0, $"rcv{i} exited {codes[i - 1]}:\n{downloads[i - 1].Output}");
            Assert.Equal(expected, NetworkLab.Sha256(files.File($"rcv{i}.raw")));
            unicast[i] = UnicastBytes(downloads[i - 1].Output);
        }

        return new PolicyRun(downloads, status, unicast);
    }

    private static async Task<List<string>> StatusMessagesAsync(HttpClient admin)
    {
        using var document = JsonDocument.Parse(await admin.GetStringAsync("/api/v1/dp/status-messages?limit=500"));
        var messages = document.RootElement.EnumerateArray().Select(m => m.GetProperty("description").GetString() ?? string.Empty).ToList();
        messages.Reverse();
        return messages;
    }

    /// <summary>The unicast bytes in "Downloaded and verified ... (24.0 MiB by multicast, 0 B by unicast)".</summary>
    private static long UnicastBytes(string text)
    {
        var match = DownloadedLine().Match(text);
        Assert.True(match.Success, "no 'Downloaded and verified' line:\n" + text);
        var value = double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        return (long)(value * match.Groups[2].Value switch { "GiB" => 1L << 30, "MiB" => 1L << 20, "KiB" => 1L << 10, _ => 1 });
    }

    [GeneratedRegex(@"certificate SHA-256[^:]*: ([0-9a-fA-F]{64})")]
    private static partial Regex Fingerprint();

    [GeneratedRegex(@"Downloaded and verified .*\(.* by multicast, ([0-9.]+) (B|KiB|MiB|GiB) by unicast\)")]
    private static partial Regex DownloadedLine();

    private sealed record PolicyRun(LabProcess[] Downloads, List<string> Status, Dictionary<int, long> UnicastBytes);
}
