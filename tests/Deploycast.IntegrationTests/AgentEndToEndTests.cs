using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Deploycast.DistributionPoint.Settings;

namespace Deploycast.IntegrationTests;

/// <summary>
/// The whole system on loopback as an administrator and a lab would use it: a real server, packages imported through
/// the API, a task sequence deployed to a collection, and <c>deploycast agent</c> processes that register, get policy,
/// receive by multicast, verify and apply. Results are checked with third-party tools (e2fsck, wimapply's output
/// compared with the source tree).
/// </summary>
public sealed class AgentEndToEndTests
{
    private static readonly TimeSpan AgentTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task FourAgents_ReceiveRawAndWimByMulticast_OneKilledMidDownloadResumes()
    {
        Assert.True(new[] { "mkfs.ext4", "e2fsck", "wimcapture" }.All(AgentContentTools.Exists), "This test needs e2fsprogs and wimtools; .ci/run installs them (apt-get install e2fsprogs wimtools).");

        await using var server = await DistributionPointServer.StartAsync();
        var lab = await Lab.CreateAsync(server, randomMegabytes: 24);

        // Slow the session enough that one agent can be killed in the middle of its download.
        Assert.Empty(server.Role.UpdateSettings(server.Role.Settings with { ClientTransferRate = 60_000_000 }));
        var deployment = await lab.DeployAsync(imageTypeSteps: true);

        var agents = Enumerable.Range(1, 4).Select(lab.StartAgent).ToList();
        var victim = agents[3];
        await WaitForAsync(() => victim.Process.Output.Contains("DC100001 by multicast:", StringComparison.Ordinal), TimeSpan.FromMinutes(2), victim.Process);
        victim.Process.Kill();
        var restarted = lab.StartAgent(4);

        foreach (var agent in agents.Take(3).Append(restarted))
        {
            Assert.True(0 == await agent.Process.WaitAsync(AgentTimeout), $"agent {agent.Number} failed:\n{agent.Process.Output}");
        }

        foreach (var number in Enumerable.Range(1, 4))
        {
            var data = lab.AgentData(number);
            var fsck = AgentContentTools.Run("e2fsck", "-fn", Path.Combine(data, "disk.img"));
            Assert.True(fsck.ExitCode == 0, $"e2fsck on agent {number}'s disk: {fsck.Output}");
            Assert.Equal(AgentContentTools.Tree(lab.Tree), AgentContentTools.Tree(Path.Combine(data, "wim")));
        }

        // The killed agent resumed: its second run reports a download that did not start from zero, or finished the
        // session it had joined; either way the log shows two starts and one success.
        var log = await File.ReadAllTextAsync(Path.Combine(lab.AgentData(4), "deploycast-agent.log"));
        Assert.Equal(2, CountOf(log, "Deploycast agent starting"));
        Assert.Contains("resum", log, StringComparison.OrdinalIgnoreCase);

        var summary = await lab.SummaryAsync(deployment);
        Assert.Equal(4, summary.GetProperty("success").GetInt32());
        Assert.Equal(0, summary.GetProperty("error").GetInt32());
    }

    [Fact]
    public async Task MulticastDisabled_AgentsFallBackToHttp()
    {
        await using var server = await DistributionPointServer.StartAsync();
        var lab = await Lab.CreateAsync(server, randomMegabytes: 4);
        Assert.Empty(server.Role.UpdateSettings(server.Role.Settings with { Enabled = false }));
        var deployment = await lab.DeployAsync(imageTypeSteps: false);

        var agents = Enumerable.Range(1, 2).Select(lab.StartAgent).ToList();
        foreach (var agent in agents)
        {
            Assert.True(0 == await agent.Process.WaitAsync(AgentTimeout), $"agent {agent.Number} failed:\n{agent.Process.Output}");
            Assert.Contains("by unicast", agent.Process.Output, StringComparison.Ordinal);
            var fsck = AgentContentTools.Run("e2fsck", "-fn", Path.Combine(lab.AgentData(agent.Number), "disk.img"));
            Assert.Equal(0, fsck.ExitCode);
        }

        Assert.Equal(2, (await lab.SummaryAsync(deployment)).GetProperty("success").GetInt32());
    }

    [Fact]
    public async Task MulticastOnlyPackage_WithMulticastDisabled_FailsWithAClearStatusMessage()
    {
        await using var server = await DistributionPointServer.StartAsync();
        var lab = await Lab.CreateAsync(server, randomMegabytes: 2, multicastOnly: true);
        Assert.Empty(server.Role.UpdateSettings(server.Role.Settings with { Enabled = false }));
        var deployment = await lab.DeployAsync(imageTypeSteps: false);

        var agent = lab.StartAgent(1);
        Assert.Equal(1, await agent.Process.WaitAsync(AgentTimeout));
        var summary = await lab.SummaryAsync(deployment);
        Assert.Equal(1, summary.GetProperty("error").GetInt32());
        var message = summary.GetProperty("devices")[0].GetProperty("state").GetProperty("message").GetString()!;
        Assert.Contains("only via multicast", message, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(Path.Combine(lab.AgentData(1), "disk.img")), "nothing may be applied without verified content");
    }

    [Fact]
    public async Task BlockedComputer_ExitsFive_UnknownComputerExitsFour()
    {
        await using var server = await DistributionPointServer.StartAsync();
        using var admin = server.Http(DistributionPointServer.AdminToken);
        using (var imported = await admin.PostAsJsonAsync("/api/v1/devices", new { devices = new[] { new { name = "LAB-PC-09", macAddresses = new[] { "02:00:00:00:02:09" } } } }))
        {
            var id = (await imported.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("deviceIds")[0].GetInt64();
            using var blocked = await admin.PostAsync($"/api/v1/devices/{id}/block", null);
            Assert.Equal(HttpStatusCode.OK, blocked.StatusCode);
        }

        string[] Agent(string name, string mac) =>
        [
            "agent", "--server", server.Url.ToString(), "--fingerprint", server.Started.CertificateFingerprint,
            "--data-dir", server.Directory.File(name), "--name", name, "--mac", mac, "--once",
        ];
        using var blockedAgent = CliProcess.Start(Agent("blocked", "02:00:00:00:02:09"));
        Assert.Equal(5, await blockedAgent.WaitAsync(AgentTimeout));
        Assert.Contains("blocked by an administrator", blockedAgent.Output, StringComparison.Ordinal);

        using var unknownAgent = CliProcess.Start(Agent("unknown", "02:00:00:00:02:0a"));
        Assert.Equal(4, await unknownAgent.WaitAsync(AgentTimeout));
        Assert.Contains("waiting for approval", unknownAgent.Output, StringComparison.Ordinal);
    }

    private static int CountOf(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, CliProcess process)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout} in vain; the agent printed:\n{process.Output}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>A lab: a source tree, its raw ext4 and WIM images imported as packages, devices, and agents.</summary>
    private sealed class Lab
    {
        private readonly DistributionPointServer _server;
        private readonly HttpClient _admin;
        private readonly bool _multicastOnly;

        private Lab(DistributionPointServer server, bool multicastOnly)
        {
            _server = server;
            _multicastOnly = multicastOnly;
            _admin = server.Http(DistributionPointServer.AdminToken);
        }

        public string Tree => _server.Directory.File("tree");

        public static async Task<Lab> CreateAsync(DistributionPointServer server, int randomMegabytes, bool multicastOnly = false)
        {
            var lab = new Lab(server, multicastOnly);
            AgentContentTools.MakeTree(lab.Tree, randomMegabytes);
            var raw = server.Directory.File("disk.img");
            var wim = server.Directory.File("tree.wim");
            AgentContentTools.Check("mkfs.ext4", "-q", "-d", lab.Tree, raw, $"{randomMegabytes + 24}M");
            await lab.ImportAsync("Lab disk", raw);
            if (AgentContentTools.Exists("wimcapture"))
            {
                AgentContentTools.Check("wimcapture", lab.Tree, wim, "Lab");
                await lab.ImportAsync("Lab WIM", wim);
            }

            var devices = Enumerable.Range(1, 4).Select(n => new { name = $"LAB-PC-{n:D2}", macAddresses = new[] { Mac(n) } }).ToArray();
            using var response = await lab._admin.PostAsJsonAsync("/api/v1/devices", new { devices });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return lab;
        }

        public async Task<string> DeployAsync(bool imageTypeSteps)
        {
            var steps = new List<object>
            {
                new { name = "Apply the disk", type = "ApplyOperatingSystemImage", parameters = new Dictionary<string, string> { ["package"] = "DC100001", ["destination"] = "%_DCDataDirectory%/disk.img" } },
            };
            if (imageTypeSteps)
            {
                steps.Add(new { name = "Apply the WIM", type = "ApplyDataImage", parameters = new Dictionary<string, string> { ["package"] = "DC100002", ["imageIndex"] = "1", ["destination"] = "%_DCDataDirectory%/wim" } });
            }

            var sequence = await PostAsync("/api/v1/task-sequences", new { name = "Image the lab", steps });
            var collection = await PostAsync("/api/v1/collections", new { name = "Lab", rules = new[] { new { kind = "NamePattern", value = "LAB-PC-*" } } });
            var deployment = await PostAsync("/api/v1/deployments", new
            {
                taskSequenceId = sequence.GetProperty("id").GetString(),
                collectionId = collection.GetProperty("id").GetString(),
                purpose = "Required",
            });
            return deployment.GetProperty("id").GetString()!;
        }

        public string AgentData(int number) => _server.Directory.File($"agent{number}");

        public (int Number, CliProcess Process) StartAgent(int number) => (number, CliProcess.Start(
            "agent", "--server", _server.Url.ToString(), "--fingerprint", _server.Started.CertificateFingerprint,
            "--data-dir", AgentData(number), "--name", $"minint-{number}", "--mac", Mac(number), "--once"));

        public async Task<JsonElement> SummaryAsync(string deployment)
        {
            using var response = await _admin.GetAsync($"/api/v1/deployments/{deployment}/summary");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }

        private static string Mac(int n) => $"02:00:00:00:01:{n:x2}";

        private async Task ImportAsync(string name, string path) =>
            await PostAsync("/api/v1/packages", new { name, sourcePath = path, multicastOnly = _multicastOnly });

        private async Task<JsonElement> PostAsync(string path, object body)
        {
            using var response = await _admin.PostAsJsonAsync(path, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"{path}: {(int)response.StatusCode} {text}");
            return JsonDocument.Parse(text).RootElement.Clone();
        }
    }
}
