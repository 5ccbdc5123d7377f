using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Deploycast.Client;

namespace Deploycast.IntegrationTests;

/// <summary>The site API on a real server: auth, validation, device credentials, policy, and session keys per device.</summary>
public sealed class SiteApiTests
{
    private const string Admin = DistributionPointServer.AdminToken;

    [Theory]
    [InlineData("GET", "/api/v1/packages")]
    [InlineData("GET", "/api/v1/devices")]
    [InlineData("POST", "/api/v1/collections")]
    [InlineData("POST", "/api/v1/deployments")]
    [InlineData("GET", "/api/v1/status-messages")]
    public async Task AdminEndpoints_RefuseNoTokenAndWrongToken(string method, string path)
    {
        await using var server = await DistributionPointServer.StartAsync();
        foreach (var token in new[] { null, "not-the-admin-token", DistributionPointServer.ClientToken })
        {
            using var http = server.Http(token);
            using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { }) });
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Administrator token required", problem.GetProperty("title").GetString());
        }
    }

    [Fact]
    public async Task Validation_ProblemDetailsNameTheField()
    {
        await using var server = await DistributionPointServer.StartAsync();
        using var http = server.Http(Admin);

        var errors = await ErrorsAsync(await http.PostAsJsonAsync("/api/v1/packages", new { name = "", sourcePath = "relative.wim" }));
        Assert.Contains("name", errors.Keys);
        Assert.Contains("relative", errors["sourcePath"][0], StringComparison.Ordinal);

        errors = await ErrorsAsync(await http.PostAsJsonAsync("/api/v1/collections", new { name = "Lab", rules = new[] { new { kind = "IPv4Subnet", value = "10.0.0/8" } } }));
        Assert.Contains("10.0.0/8", errors["rules[0].value"][0], StringComparison.Ordinal);

        errors = await ErrorsAsync(await http.PostAsJsonAsync("/api/v1/task-sequences", new
        {
            name = "TS",
            steps = new[] { new { name = "Run", type = "RunCommandLine", parameters = new Dictionary<string, string> { ["timeoutSeconds"] = "soon" } } },
        }));
        Assert.Contains("steps[0].parameters.commandLine", errors.Keys);
        Assert.Contains("steps[0].parameters.timeoutSeconds", errors.Keys);

        errors = await ErrorsAsync(await http.PostAsJsonAsync("/api/v1/deployments", new { taskSequenceId = "DC399999", collectionId = "DCS00001" }));
        Assert.Contains("no task sequence", errors["taskSequenceId"][0], StringComparison.Ordinal);

        errors = await ErrorsAsync(await http.GetAsync("/api/v1/devices?take=5000"));
        Assert.Contains("take", errors.Keys);

        using var missing = await http.GetAsync("/api/v1/packages/DC199999");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("DC199999", (await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);

        errors = await ErrorsAsync(await http.PostAsJsonAsync("/api/v1/collections", new { name = "Lab", rules = new[] { new { kind = "Bogus", value = "x" } } }));
        Assert.Equal("'Bogus' is not one of NamePattern, MacPrefix, IPv4Subnet.", Assert.Single(errors["rules[0].kind"]));

        using var malformed = await http.PostAsync("/api/v1/collections", new StringContent("{\"name\": ", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
    }

    [Fact]
    public async Task Devices_ReadOnlyTheirOwnPolicy_AndGetKeysOnlyForWhatIsDeployedToThem()
    {
        await using var server = await DistributionPointServer.StartAsync();
        using var admin = server.Http(Admin);
        var image = server.Directory.File("secret.img");
        await File.WriteAllBytesAsync(image, RandomBytes(3 << 20));

        var package = await ReadAsync(await admin.PostAsJsonAsync("/api/v1/packages", new { name = "Secret", sourcePath = image, encryptMulticast = true }), HttpStatusCode.Created);
        var packageId = package.GetProperty("id").GetString()!;
        var devices = new[] { new { name = "A", macAddresses = new[] { "02:00:00:00:00:0a" } }, new { name = "B", macAddresses = new[] { "02:00:00:00:00:0b" } } };
        await ReadAsync(await admin.PostAsJsonAsync("/api/v1/devices", new { devices }), HttpStatusCode.OK);

        var a = await RegisterAsync(server, "minint-a", "02-00-00-00-00-0A");
        var b = await RegisterAsync(server, "minint-b", "02:00:00:00:00:0b");
        Assert.Equal("Approved", a.Approval);

        var sequence = await ReadAsync(await admin.PostAsJsonAsync("/api/v1/task-sequences", new
        {
            name = "Apply",
            steps = new[] { new { name = "Apply", type = "ApplyOperatingSystemImage", parameters = new Dictionary<string, string> { ["package"] = packageId, ["destination"] = "/dev/null" } } },
        }), HttpStatusCode.Created);
        var collection = await ReadAsync(await admin.PostAsJsonAsync("/api/v1/collections", new { name = "Only A", members = new[] { a.DeviceId } }), HttpStatusCode.Created);
        var deployment = await ReadAsync(await admin.PostAsJsonAsync("/api/v1/deployments", new
        {
            taskSequenceId = sequence.GetProperty("id").GetString(),
            collectionId = collection.GetProperty("id").GetString(),
            purpose = "Required",
        }), HttpStatusCode.Created);

        // A's policy carries the deployment, the content and this server as its DP; B's is empty.
        using var httpA = server.Http(a.Credential);
        using var httpB = server.Http(b.Credential);
        var policyA = await ReadAsync(await httpA.GetAsync("/api/v1/agent/policy"), HttpStatusCode.OK);
        var deployed = Assert.Single(policyA.GetProperty("deployments").EnumerateArray());
        Assert.Equal(deployment.GetProperty("id").GetString(), deployed.GetProperty("deploymentId").GetString());
        Assert.True(deployed.GetProperty("due").GetBoolean());
        var content = Assert.Single(deployed.GetProperty("content").EnumerateArray());
        Assert.True(content.GetProperty("multicast").GetBoolean());
        Assert.True(content.GetProperty("encryptMulticast").GetBoolean());
        Assert.Equal(server.Url, new Uri(Assert.Single(content.GetProperty("distributionPoints").EnumerateArray()).GetProperty("url").GetString()!));
        Assert.Equal(Convert.ToBase64String(server.Role.SiteKey.PublicKeySpki), policyA.GetProperty("siteKey").GetString());
        Assert.Empty((await ReadAsync(await httpB.GetAsync("/api/v1/agent/policy"), HttpStatusCode.OK)).GetProperty("deployments").EnumerateArray());

        // A device cannot read another device's policy (that is an administrator's view).
        using (var other = await httpB.GetAsync($"/api/v1/devices/{a.DeviceId}/policy"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
        }

        // The session key of the encrypted package: A gets it with its own credential, B does not.
        var sessionA = await new DistributionPointClient(server.Url, server.Started.CertificateFingerprint, a.Credential)
            .RequestSessionAsync("a", packageId, 1, CancellationToken.None);
        Assert.Equal("join", sessionA.Decision);
        Assert.NotNull(sessionA.Session!.Key);
        using (var refused = await httpB.PostAsJsonAsync("/api/v1/dp/sessions", new SessionRequestBody("b", packageId, 1)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var refusedContent = await httpB.GetAsync($"/api/v1/dp/content/{packageId}/1"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refusedContent.StatusCode);
        }

        // Status: A reports on its deployment; B may not report on one not deployed to it.
        var deploymentId = deployment.GetProperty("id").GetString();
        using (var accepted = await httpA.PostAsJsonAsync("/api/v1/agent/status", new { deploymentId, messageId = 11143, component = "TSManager", text = "Done", state = "Success" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        using (var forbidden = await httpB.PostAsJsonAsync("/api/v1/agent/status", new { deploymentId, messageId = 11140, component = "TSManager", text = "Started" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }

        var summary = await ReadAsync(await admin.GetAsync($"/api/v1/deployments/{deploymentId}/summary"), HttpStatusCode.OK);
        Assert.Equal(1, summary.GetProperty("targeted").GetInt32());
        Assert.Equal(1, summary.GetProperty("success").GetInt32());

        // Blocking A shuts it out at once.
        await ReadAsync(await admin.PostAsync($"/api/v1/devices/{a.DeviceId}/block", null), HttpStatusCode.OK);
        using (var blocked = await httpA.GetAsync("/api/v1/agent/policy"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, blocked.StatusCode);
        }
    }

    [Fact]
    public async Task UnknownComputer_WaitsForApproval()
    {
        await using var server = await DistributionPointServer.StartAsync();
        var unknown = await RegisterAsync(server, "minint-9", "02:00:00:00:00:99");
        Assert.Equal("Pending", unknown.Approval);
        using var device = server.Http(unknown.Credential);
        using (var waiting = await device.GetAsync("/api/v1/agent/policy"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, waiting.StatusCode);
            Assert.Contains("waiting for approval", await waiting.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var admin = server.Http(Admin);
        await ReadAsync(await admin.PostAsync($"/api/v1/devices/{unknown.DeviceId}/approve", null), HttpStatusCode.OK);
        await ReadAsync(await device.GetAsync("/api/v1/agent/policy"), HttpStatusCode.OK);
        using var bogus = server.Http("dcd_not-a-real-credential");
        using var unauthorized = await bogus.GetAsync("/api/v1/agent/policy");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
    }

    [Fact]
    public async Task DistributionPointStatus_ReachesTheSiteStatusMessages()
    {
        await using var server = await DistributionPointServer.StartAsync();
        using var admin = server.Http(Admin);
        var image = server.Directory.File("a.img");
        await File.WriteAllBytesAsync(image, RandomBytes(1 << 20));
        await ReadAsync(await admin.PostAsJsonAsync("/api/v1/packages", new { name = "A", sourcePath = image }), HttpStatusCode.Created);
        for (var i = 0; i < 50; i++)
        {
            var list = await ReadAsync(await admin.GetAsync("/api/v1/status-messages?distributionPointId=local"), HttpStatusCode.OK);
            if (list.GetProperty("items").EnumerateArray().Any(m => m.GetProperty("text").GetString()!.Contains("DC100001", StringComparison.Ordinal)))
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("The DP's 'package added' status message never reached the site's status messages.");
    }

    private sealed record Registration(long DeviceId, string Name, string Approval, string Credential);

    private static async Task<Registration> RegisterAsync(DistributionPointServer server, string name, string mac)
    {
        using var http = server.Http();
        using var response = await http.PostAsJsonAsync("/api/v1/agent/register", new { name, macAddresses = new[] { mac } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<Registration>(new JsonSerializerOptions(JsonSerializerDefaults.Web)))!;
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {body}");
            return JsonDocument.Parse(body).RootElement.Clone();
        }
    }

    private static async Task<Dictionary<string, string[]>> ErrorsAsync(HttpResponseMessage response)
    {
        var problem = await ReadAsync(response, HttpStatusCode.BadRequest);
        return problem.GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}
