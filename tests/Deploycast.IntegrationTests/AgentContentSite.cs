using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Deploycast.Agent;
using Deploycast.Agent.Content;
using Deploycast.Site.Model;

namespace Deploycast.IntegrationTests;

/// <summary>
/// A real server with the site and its DP on loopback, driven the way an administrator and an agent do: packages
/// imported through <c>POST /api/v1/packages</c>, a device registered, a task sequence deployed to it, and the device's
/// policy fetched with its own credential.
/// </summary>
internal sealed class AgentContentSite : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private static int s_device;

    private AgentContentSite(DistributionPointServer server) => Server = server;

    public DistributionPointServer Server { get; }

    public static async Task<AgentContentSite> StartAsync(IReadOnlyDictionary<string, string?>? settings = null) => new(await DistributionPointServer.StartAsync(settings));

    /// <summary>Imports a file as a package and returns its id.</summary>
    public async Task<string> ImportAsync(string path, ImageType type, bool allowMulticast = true, bool encrypt = false, bool multicastOnly = false)
    {
        using var admin = Server.Http(DistributionPointServer.AdminToken);
        var package = await ReadAsync(await admin.PostAsJsonAsync("/api/v1/packages",
            new PackageBody(Path.GetFileName(path), path, type, allowMulticast, encrypt, multicastOnly), Json), HttpStatusCode.Created);
        return package.GetProperty("id").GetString()!;
    }

    /// <summary>Adds a computer as an administrator would, then registers it as its agent does; returns its id and credential.</summary>
    public async Task<(long DeviceId, string Credential)> RegisterDeviceAsync(string name)
    {
        var n = Interlocked.Increment(ref s_device);
        var mac = $"02:00:00:00:{n >> 8:x2}:{n & 0xFF:x2}";
        using var admin = Server.Http(DistributionPointServer.AdminToken);
        await ReadAsync(await admin.PostAsJsonAsync("/api/v1/devices", new { devices = new[] { new { name, macAddresses = new[] { mac } } } }), HttpStatusCode.OK);
        using var anonymous = Server.Http();
        var registration = await ReadAsync(await anonymous.PostAsJsonAsync("/api/v1/agent/register", new { name, macAddresses = new[] { mac } }), HttpStatusCode.OK);
        Assert.Equal("Approved", registration.GetProperty("approval").GetString());
        return (registration.GetProperty("deviceId").GetInt64(), registration.GetProperty("credential").GetString()!);
    }

    /// <summary>Deploys a task sequence with one apply step (of image <paramref name="imageIndex"/> for a WIM) to a collection of the one device.</summary>
    public async Task DeployAsync(long deviceId, ContentOption option, bool allowUnicastFallback, string packageId, int? imageIndex = null)
    {
        using var admin = Server.Http(DistributionPointServer.AdminToken);
        var parameters = new Dictionary<string, string> { ["package"] = packageId, ["destination"] = "/dev/null" };
        if (imageIndex is { } index)
        {
            parameters["imageIndex"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var steps = new[] { new { name = $"Apply {packageId}", type = "ApplyOperatingSystemImage", parameters } };
        var sequence = await ReadAsync(await admin.PostAsJsonAsync("/api/v1/task-sequences", new { name = "Apply", steps }), HttpStatusCode.Created);
        var collection = await ReadAsync(await admin.PostAsJsonAsync("/api/v1/collections", new { name = $"Device {deviceId} {Guid.NewGuid():N}", members = new[] { deviceId } }), HttpStatusCode.Created);
        await ReadAsync(await admin.PostAsJsonAsync("/api/v1/deployments", new
        {
            taskSequenceId = sequence.GetProperty("id").GetString(),
            collectionId = collection.GetProperty("id").GetString(),
            purpose = "Required",
            contentOption = option.ToString(),
            allowUnicastFallback,
        }), HttpStatusCode.Created);
    }

    /// <summary>The device's policy, as its agent fetches it, once every content in it is on a DP.</summary>
    public async Task<DevicePolicy> PolicyAsync(string credential)
    {
        using var device = Server.Http(credential);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var text = await (await ReadRawAsync(await device.GetAsync("/api/v1/agent/policy"), HttpStatusCode.OK)).Content.ReadAsStringAsync();
            var policy = JsonSerializer.Deserialize<DevicePolicy>(text, Json)!;
            if (policy.Deployments.Count > 0 && policy.Deployments.All(d => d.Content.All(c => c.DistributionPoints.Count > 0)) || watch.Elapsed > TimeSpan.FromSeconds(20))
            {
                return policy;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The content source an agent on this device would build.</summary>
    public ContentSource ContentSource(string dataDirectory, string deviceName, string credential, DevicePolicy policy) =>
        new(new AgentOptions { Server = Server.Url, DataDirectory = dataDirectory, DeviceName = deviceName, MulticastInterface = IPAddress.Loopback },
            () => credential, () => policy.SiteKey, null,
            new ContentSourceOptions { MaxMulticastWait = TimeSpan.FromMinutes(2) });

    /// <summary>Turns multicast on the DP off or on through the API, keeping the other settings.</summary>
    public async Task SetMulticastEnabledAsync(bool enabled)
    {
        using var admin = Server.Http(DistributionPointServer.AdminToken);
        using var response = await admin.PutAsJsonAsync("/api/v1/dp/multicast", Server.Role.Settings with { Enabled = enabled }, Json);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {body}");
            return JsonDocument.Parse(body).RootElement.Clone();
        }
    }

    private static async Task<HttpResponseMessage> ReadRawAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
        {
            Assert.Fail($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return response;
    }

    private sealed record PackageBody(string Name, string SourcePath, ImageType ImageType, bool AllowMulticast, bool EncryptMulticast, bool MulticastOnly);
}

/// <summary>Runs the tools the apply tests make images with.</summary>
internal static class AgentContentTools
{
    public static bool Exists(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin"]).Any(d => File.Exists(Path.Combine(d, name)));

    public static (int ExitCode, string Output) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }

    public static void Check(string file, params string[] arguments)
    {
        var (exitCode, output) = Run(file, arguments);
        Assert.True(exitCode == 0, $"{file} {string.Join(' ', arguments)} exited {exitCode}: {output}");
    }

    /// <summary>A tree like a small OS image: nested folders, random binaries, text, an empty file, a symlink.</summary>
    public static void MakeTree(string root, int randomMegabytes)
    {
        Directory.CreateDirectory(Path.Combine(root, "Windows", "System32", "drivers"));
        Directory.CreateDirectory(Path.Combine(root, "Users", "Public"));
        var random = new Random(42);
        var big = new byte[randomMegabytes << 20];
        random.NextBytes(big);
        File.WriteAllBytes(Path.Combine(root, "Windows", "System32", "big.dll"), big);
        for (var i = 0; i < 20; i++)
        {
            var small = new byte[random.Next(1, 64 << 10)];
            random.NextBytes(small);
            File.WriteAllBytes(Path.Combine(root, "Windows", "System32", "drivers", $"driver{i}.sys"), small);
        }

        File.WriteAllText(Path.Combine(root, "Users", "Public", "readme.txt"), "imaged by deploycast\n");
        File.WriteAllBytes(Path.Combine(root, "Users", "Public", "empty"), []);
        File.CreateSymbolicLink(Path.Combine(root, "Users", "link"), "Public/readme.txt");
    }

    /// <summary>Every entry under <paramref name="root"/>: relative path, kind, and the bytes' hash or the link's target.</summary>
    public static List<string> Tree(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(path =>
            {
                var relative = Path.GetRelativePath(root, path);
                var info = new FileInfo(path);
                if (info.LinkTarget is { } target)
                {
                    return $"{relative} -> {target}";
                }

                return Directory.Exists(path)
                    ? $"{relative}/"
                    : $"{relative} {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)))}";
            })
            .Order(StringComparer.Ordinal)
            .ToList();
}

/// <summary>A test that needs a tool; skipped with the package to install when it is missing.</summary>
internal sealed class NeedsToolFactAttribute : FactAttribute
{
    public NeedsToolFactAttribute(string tool, string package)
    {
        if (!AgentContentTools.Exists(tool))
        {
            Skip = $"{tool} is not installed: apt-get install {package}";
        }
    }
}
