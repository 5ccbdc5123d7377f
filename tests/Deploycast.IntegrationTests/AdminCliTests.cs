using System.Globalization;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Deploycast.IntegrationTests;

/// <summary>
/// The <c>deploycast</c> admin commands as an administrator runs them, against a real server (HTTPS on loopback,
/// pinned by fingerprint): what they print, what they change on the server, and their exit codes.
/// </summary>
public sealed class AdminCliTests
{
    [Fact]
    public async Task PackageImport_ThenSetAndUpdate_ShowsTheOptionsVersionsAndDistribution()
    {
        await using var server = await DistributionPointServer.StartAsync();
        var image = server.Directory.RandomFile("lab.img", 1_000_000, 21);

        var import = await AdminCli.RunAsync(server, "package", "import", image, "--name", "Lab image [raw]", "--type", "raw", "--description", "for the lab");
        import.AssertSuccess();
        Assert.Contains($"Imported {image} as package DC100001 \"Lab image [raw]\"", import.Output, StringComparison.Ordinal);

        (await AdminCli.RunAsync(server, "package", "set", "DC100001", "--encrypt", "true", "--multicast-only", "true")).AssertSuccess();
        var update = await AdminCli.RunAsync(server, "package", "update", "DC100001", server.Directory.RandomFile("lab2.img", 500_000, 22));
        update.AssertSuccess();
        Assert.Contains("Package DC100001 version 2", update.Output, StringComparison.Ordinal);

        var details = await AdminCli.JsonAsync(server, "package", "show", "DC100001");
        var package = details.GetProperty("package");
        Assert.Equal("Lab image [raw]", package.GetProperty("name").GetString());
        Assert.Equal("for the lab", package.GetProperty("description").GetString());
        Assert.True(package.GetProperty("encryptMulticast").GetBoolean());
        Assert.True(package.GetProperty("multicastOnly").GetBoolean());
        Assert.True(package.GetProperty("allowMulticast").GetBoolean());
        Assert.Equal([1_000_000L, 500_000L], details.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("size").GetInt64()));
        Assert.All(details.GetProperty("distribution").EnumerateArray(), d => Assert.Equal("Installed", d.GetProperty("state").GetString()));

        var table = await AdminCli.RunAsync(server, "package", "show", "DC100001");
        table.AssertSuccess();
        Assert.Matches(@"Encrypt multicast packages\s*\|\s*Yes", table.Output);
        Assert.Matches(@"\|\s*2\s*\|\s*local\s*\|\s*Installed", table.Output);
    }

    [Fact]
    public async Task DeviceImport_FromCsv_ThenBlockAndApprove_ChangesTheApproval()
    {
        await using var server = await DistributionPointServer.StartAsync();
        var csv = server.Directory.File("devices.csv");
        await File.WriteAllTextAsync(csv, "Name,SMBIOS GUID,MAC Address\nLAB-01,4c4c4544-0000-0000-0000-000000000001,00:15:5D:00:01:01\nLAB-02,,00-15-5d-00-01-02\n");

        var import = await AdminCli.RunAsync(server, "device", "import", csv);
        import.AssertSuccess();
        Assert.Contains("devices.csv: 2 added, 0 updated", import.Output, StringComparison.Ordinal);

        var devices = (await AdminCli.JsonAsync(server, "device", "list")).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["LAB-01", "LAB-02"], devices.Select(d => d.GetProperty("name").GetString()));
        Assert.Equal("00:15:5d:00:01:02", devices[1].GetProperty("macAddresses")[0].GetString());
        var id = devices[0].GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture);

        var block = await AdminCli.RunAsync(server, "device", "block", id);
        block.AssertSuccess();
        Assert.Contains($"Device {id} \"LAB-01\" is Blocked.", block.Output, StringComparison.Ordinal);
        Assert.Equal("Blocked", (await AdminCli.JsonAsync(server, "device", "show", id)).GetProperty("approval").GetString());

        (await AdminCli.RunAsync(server, "device", "approve", id)).AssertSuccess();
        Assert.Equal("Approved", (await AdminCli.JsonAsync(server, "device", "show", id)).GetProperty("approval").GetString());

        var page = await AdminCli.RunAsync(server, "device", "list", "--take", "1");
        page.AssertSuccess();
        Assert.Contains("LAB-01", page.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("LAB-02", page.Output, StringComparison.Ordinal);
        Assert.Contains("Showing devices 1-1 of 2", page.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CollectionCreate_WithRulesAndDirectMembers_HoldsExactlyTheMatchingDevices()
    {
        await using var server = await DistributionPointServer.StartAsync();
        var csv = server.Directory.File("devices.csv");
        await File.WriteAllTextAsync(csv, "LAB-01,,00:15:5d:00:01:01\nLAB-02,,00:15:5d:00:01:02\nOFFICE-1,,00:11:22:00:00:01\nOFFICE-2,,00:11:22:00:00:02\n");
        (await AdminCli.RunAsync(server, "device", "import", csv)).AssertSuccess();
        var ids = (await AdminCli.JsonAsync(server, "device", "list")).GetProperty("items").EnumerateArray()
            .ToDictionary(d => d.GetProperty("name").GetString()!, d => d.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture));

        var created = await AdminCli.RunAsync(server, "collection", "create", "--name", "Lab PCs", "--rule", "name:lab-*", "--member", ids["OFFICE-1"]);
        created.AssertSuccess();
        Assert.Contains("\"Lab PCs\" with 3 member(s)", created.Output, StringComparison.Ordinal);
        var lab = (await AdminCli.JsonAsync(server, "collection", "list")).GetProperty("items").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "Lab PCs").GetProperty("id").GetString()!;

        var byMac = (await AdminCli.JsonAsync(server, "collection", "create", "--name", "Office", "--rule", "mac:00:11:22")).GetProperty("id").GetString()!;
        (await AdminCli.RunAsync(server, "collection", "add", byMac, ids["LAB-02"])).AssertSuccess();

        Assert.Equal<string>(["LAB-01", "LAB-02", "OFFICE-1"], await MemberNamesAsync(lab));
        Assert.Equal<string>(["LAB-02", "OFFICE-1", "OFFICE-2"], await MemberNamesAsync(byMac));

        (await AdminCli.RunAsync(server, "collection", "remove", lab, ids["OFFICE-1"])).AssertSuccess();
        Assert.Equal<string>(["LAB-01", "LAB-02"], await MemberNamesAsync(lab));

        (await AdminCli.RunAsync(server, "collection", "delete", byMac)).AssertSuccess();
        Assert.DoesNotContain("Office", (await AdminCli.RunAsync(server, "collection", "list")).Output, StringComparison.Ordinal);

        async Task<List<string>> MemberNamesAsync(string collection) =>
            [.. (await AdminCli.JsonAsync(server, "collection", "members", collection)).EnumerateArray().Select(d => d.GetProperty("name").GetString()!).Order(StringComparer.Ordinal)];
    }

    [Fact]
    public async Task DeployATaskSequence_ThenStatus_CountsTheDeviceUntilItReportsSuccess()
    {
        await using var server = await DistributionPointServer.StartAsync();
        var image = server.Directory.RandomFile("win.img", 300_000, 23);
        var packageId = (await AdminCli.JsonAsync(server, "package", "import", image, "--name", "Windows 11 lab")).GetProperty("id").GetString()!;
        var add = await AdminCli.RunAsync(server, "device", "add", "--name", "LAB-07", "--mac", "00:15:5d:00:07:01", "--mac", "00:15:5d:00:07:02");
        add.AssertSuccess();
        Assert.Matches("Added device [0-9]+ \"LAB-07\"", add.Output);
        var deviceId = (await AdminCli.JsonAsync(server, "device", "list")).GetProperty("items")[0].GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture);
        var collectionId = (await AdminCli.JsonAsync(server, "collection", "create", "--name", "Lab", "--member", deviceId)).GetProperty("id").GetString()!;

        var sequence = await AdminCli.JsonAsync(server, "tasksequence", "create", "--name", "Deploy Windows 11", "--apply", packageId, "--destination", "/dev/sdb");
        var step = Assert.Single(sequence.GetProperty("steps").EnumerateArray());
        Assert.Equal("Apply Operating System Image", step.GetProperty("name").GetString());
        Assert.Equal("ApplyOperatingSystemImage", step.GetProperty("type").GetString());
        Assert.Equal(packageId, step.GetProperty("parameters").GetProperty("package").GetString());
        Assert.Equal("/dev/sdb", step.GetProperty("parameters").GetProperty("destination").GetString());
        var sequenceId = sequence.GetProperty("id").GetString()!;
        var shown = await AdminCli.RunAsync(server, "tasksequence", "show", sequenceId);
        shown.AssertSuccess();
        Assert.Matches(@"\|\s*1\s*\|\s*Apply Operating System Image\s*\|\s*ApplyOperatingSystemImage\s*\|\s*destination = /dev/sdb", shown.Output);

        var deployment = await AdminCli.JsonAsync(server, "deploy", "--task-sequence", sequenceId, "--collection", collectionId, "--required", "--content-option", "when-needed");
        Assert.Equal("Required", deployment.GetProperty("purpose").GetString());
        Assert.Equal("DownloadLocallyWhenNeeded", deployment.GetProperty("contentOption").GetString());
        Assert.True(deployment.GetProperty("allowUnicastFallback").GetBoolean());
        var deploymentId = deployment.GetProperty("id").GetString()!;
        Assert.Contains(deploymentId, (await AdminCli.RunAsync(server, "deployment", "list")).Output, StringComparison.Ordinal);

        var before = await AdminCli.JsonAsync(server, "status", deploymentId);
        Assert.Equal(1, before.GetProperty("targeted").GetInt32());
        Assert.Equal(1, before.GetProperty("unknown").GetInt32());
        Assert.Equal(0, before.GetProperty("success").GetInt32());

        // The agent on LAB-07 registers and reports that the task sequence ended well.
        await ReportAsync(server, "LAB-07", "00:15:5d:00:07:01", deploymentId, "Success", "The task sequence completed successfully.");

        var watched = await AdminCli.RunAsync(server, "status", deploymentId, "--watch", "--json");
        watched.AssertSuccess();
        var last = JsonDocument.Parse(watched.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
        Assert.Equal(1, last.GetProperty("success").GetInt32());
        Assert.Equal(0, last.GetProperty("unknown").GetInt32());

        var table = await AdminCli.RunAsync(server, "status", deploymentId);
        table.AssertSuccess();
        Assert.Contains("Targeted 1   Success 1   In progress 0   Error 0   Unknown 0", table.Output, StringComparison.Ordinal);
        Assert.Matches(@"LAB-07\s*\|\s*Success\s*\|.*The task sequence completed successfully\.", table.Output);

        var messages = await AdminCli.RunAsync(server, "status", "messages", "--deployment", deploymentId);
        messages.AssertSuccess();
        Assert.Contains("The task sequence completed successfully.", messages.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DpSet_ChangesTheGivenSettings_AndKeepsTheOthers()
    {
        await using var server = await DistributionPointServer.StartAsync();
        var before = await AdminCli.JsonAsync(server, "dp", "show");

        var set = await AdminCli.RunAsync(server, "dp", "set", "--transfer-rate", "200M", "--scheduled", "true", "--min-clients", "5", "--slow-client-policy", "auto-disconnect");
        set.AssertSuccess();
        Assert.Matches(@"Client transfer rate\s*\|\s*200\.0 Mbit/s", set.Output);

        var after = await AdminCli.JsonAsync(server, "dp", "show");
        Assert.Equal(200_000_000, after.GetProperty("clientTransferRate").GetInt64());
        Assert.True(after.GetProperty("scheduledMulticast").GetBoolean());
        Assert.Equal(5, after.GetProperty("minimumSessionSize").GetInt32());
        Assert.Equal("AutoDisconnect", after.GetProperty("slowClientPolicy").GetString());
        Assert.Equal(before.GetProperty("addressRangeStart").GetString(), after.GetProperty("addressRangeStart").GetString());
        Assert.Equal(before.GetProperty("maximumClients").GetInt32(), after.GetProperty("maximumClients").GetInt32());
        Assert.Equal(5, server.Role.Settings.MinimumSessionSize);
    }

    [Fact]
    public async Task DpSet_WithPortsOutOfRange_PrintsTheSettingsErrorsAndExitsOne_ChangingNothing()
    {
        await using var server = await DistributionPointServer.StartAsync();

        var set = await AdminCli.RunAsync(server, "dp", "set", "--ports", "80-90", "--max-clients", "7");

        Assert.Equal(1, set.ExitCode);
        Assert.Contains("error: 400 Invalid multicast settings", set.Error, StringComparison.Ordinal);
        Assert.Contains("PortRangeStart (--ports): PortRangeStart must be between 1024 and 65535, not 80.", set.Error, StringComparison.Ordinal);
        Assert.Contains("PortRangeEnd (--ports): PortRangeEnd must be between 1024 and 65535, not 90.", set.Error, StringComparison.Ordinal);
        Assert.Equal(63000, server.Role.Settings.PortRangeStart);
        Assert.Equal(100, server.Role.Settings.MaximumClients);
    }

    [Fact]
    public async Task Deploy_WithAnUnknownTaskSequence_PrintsTheFieldErrorAndExitsOne()
    {
        await using var server = await DistributionPointServer.StartAsync();

        var deploy = await AdminCli.RunAsync(server, "deploy", "--task-sequence", "DC399999", "--collection", "DCS00001");

        Assert.Equal(1, deploy.ExitCode);
        Assert.Contains("error: 400 The request is not valid", deploy.Error, StringComparison.Ordinal);
        Assert.Contains("taskSequenceId (--task-sequence): There is no task sequence 'DC399999'.", deploy.Error, StringComparison.Ordinal);
        Assert.Equal(0, (await AdminCli.JsonAsync(server, "deployment", "list")).GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task WrongFingerprint_FromTheEnvironment_ExitsTwoNamingTheServerAndTheCertificateItPresented()
    {
        await using var server = await DistributionPointServer.StartAsync();
        var wrong = new string('a', 64);
        using var cli = CliProcess.Start(
            new Dictionary<string, string>
            {
                ["DEPLOYCAST_SERVER"] = server.Url.ToString(),
                ["DEPLOYCAST_FINGERPRINT"] = wrong,
                ["DEPLOYCAST_TOKEN"] = DistributionPointServer.AdminToken,
            },
            "package", "list");

        Assert.Equal(2, await cli.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"{server.Url} presented a certificate with SHA-256 {server.Started.CertificateFingerprint}, not the one given by --fingerprint ({wrong})", cli.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoToken_PrintsTheServersRefusalAndExitsOne()
    {
        await using var server = await DistributionPointServer.StartAsync();
        using var cli = CliProcess.Start(
            new Dictionary<string, string> { ["DEPLOYCAST_TOKEN"] = string.Empty },
            "device", "list", "--server", server.Url.ToString(), "--fingerprint", server.Started.CertificateFingerprint);

        Assert.Equal(1, await cli.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("error: 401 Administrator token required", cli.Output, StringComparison.Ordinal);
        Assert.Contains("This request needs the administrator token", cli.Output, StringComparison.Ordinal);
        Assert.Contains("give the administrator token with --token or $DEPLOYCAST_TOKEN", cli.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerNotListening_ExitsTwoNamingTheServer()
    {
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var result = await AdminCli.RunRawAsync("package", "list", "--server", $"https://127.0.0.1:{port}", "--fingerprint", new string('b', 64), "--token", "x");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"error: cannot reach https://127.0.0.1:{port}/", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "collection", "create", "--name", "X", "--rule", "owner:bob" }, "--rule: 'owner:bob' is not a rule")]
    [InlineData(new[] { "dp", "set", "--ports", "high" }, "--ports: 'high' is not a range")]
    [InlineData(new[] { "tasksequence", "create", "--name", "X", "--apply", "DC100001" }, "--apply needs --destination")]
    [InlineData(new[] { "deploy", "--task-sequence", "DC300001", "--collection", "DCS00001", "--required", "--deadline", "tomorrow" }, "--deadline: 'tomorrow' is not a time")]
    public async Task UsageErrors_ExitTwoBeforeAnyRequest_AndSayWhatIsWrong(string[] arguments, string message)
    {
        var result = await AdminCli.RunRawAsync([.. arguments, "--fingerprint", new string('c', 64)]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    /// <summary>Does what an agent does: registers its computer, then reports a final state for a deployment.</summary>
    private static async Task ReportAsync(DistributionPointServer server, string name, string mac, string deploymentId, string state, string text)
    {
        using var anonymous = server.Http();
        using var registered = await anonymous.PostAsJsonAsync("/api/v1/agent/register", new { name, macAddresses = new[] { mac } });
        registered.EnsureSuccessStatusCode();
        var credential = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("credential").GetString();
        using var agent = server.Http(credential);
        using var reported = await agent.PostAsJsonAsync("/api/v1/agent/status", new
        {
            deploymentId,
            messageId = 11171,
            component = "TSManager",
            text,
            step = 0,
            stepName = "Apply Operating System Image",
            progress = 100,
            state,
        });
        reported.EnsureSuccessStatusCode();
    }
}
