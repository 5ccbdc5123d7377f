using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Deploycast.IntegrationTests;
using Microsoft.Playwright;

namespace Deploycast.Console.Tests;

/// <summary>A real <c>deploycast server</c> on loopback, set up through its REST API as an administrator would.</summary>
internal sealed class ConsoleSite : IAsyncDisposable
{
    private readonly HttpClient _admin;
    private static int s_mac;

    private ConsoleSite(DistributionPointServer server)
    {
        Server = server;
        _admin = server.Http(DistributionPointServer.AdminToken);
    }

    public DistributionPointServer Server { get; }

    /// <summary>Starts a server; <paramref name="services"/> may replace its services (the multicast session factory).</summary>
    public static async Task<ConsoleSite> StartAsync(Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null) =>
        new(await DistributionPointServer.StartAsync(services: services));

    /// <summary>Opens the console and signs in with the administrator token.</summary>
    public async Task<IPage> SignInAsync(Browser browser, string page = "sessions")
    {
        var tab = await browser.NewPageAsync(Server.Url);
        await tab.GotoAsync($"/#/{page}");
        await tab.GetByLabel("Administrator token").FillAsync(DistributionPointServer.AdminToken);
        await tab.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(tab.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeVisibleAsync();
        return tab;
    }

    public async Task<JsonElement> GetAsync(string path)
    {
        using var response = await _admin.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<JsonElement> PostAsync(string path, object body, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using var response = await _admin.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"POST {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Imports a random file of <paramref name="megabytes"/> MiB (or of <paramref name="bytes"/>) as a File package; returns its id.</summary>
    public async Task<string> ImportFileAsync(string name, int megabytes, int? bytes = null)
    {
        var path = Server.Directory.RandomFile($"{name}.bin", bytes ?? megabytes << 20, seed: megabytes);
        var package = await PostAsync("/api/v1/packages", new { name, sourcePath = path, imageType = "File" });
        return package.GetProperty("id").GetString()!;
    }

    /// <summary>Imports computers by name with fresh MAC addresses (so they are approved when their agents register).</summary>
    public async Task<IReadOnlyList<(string Name, string Mac)>> ImportDevicesAsync(params string[] names)
    {
        var devices = names.Select(n => (Name: n, Mac: NextMac())).ToList();
        await PostAsync("/api/v1/devices", new { devices = devices.Select(d => new { name = d.Name, macAddresses = new[] { d.Mac } }).ToArray() }, HttpStatusCode.OK);
        return devices;
    }

    /// <summary>Registers a computer the site has never seen, as its agent would: it waits for approval.</summary>
    public async Task<long> RegisterUnknownComputerAsync(string name)
    {
        using var anonymous = Server.Http();
        using var response = await anonymous.PostAsJsonAsync("/api/v1/agent/register", new { name, macAddresses = new[] { NextMac() } });
        var registration = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Pending", registration.GetProperty("approval").GetString());
        return registration.GetProperty("deviceId").GetInt64();
    }

    public async Task<string> CreateTaskSequenceAsync(string name, params object[] steps) =>
        (await PostAsync("/api/v1/task-sequences", new { name, steps })).GetProperty("id").GetString()!;

    public async Task<string> CreateCollectionAsync(string name, string namePattern) =>
        (await PostAsync("/api/v1/collections", new { name, rules = new[] { new { kind = "NamePattern", value = namePattern } } })).GetProperty("id").GetString()!;

    /// <summary>Starts <c>deploycast agent --once</c> for a computer, on loopback, in its own data directory.</summary>
    public CliProcess StartAgent(string name, string mac) => CliProcess.Start(
        "agent", "--server", Server.Url.ToString(), "--fingerprint", Server.Started.CertificateFingerprint,
        "--data-dir", Server.Directory.File($"agent-{name}"), "--name", name, "--mac", mac, "--interface", "127.0.0.1", "--once");

    public string AgentData(string name) => Server.Directory.File($"agent-{name}");

    private static string NextMac()
    {
        var n = Interlocked.Increment(ref s_mac);
        return $"02:00:00:c0:{n >> 8:x2}:{n & 0xFF:x2}";
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>Screenshots for docs/console.md, taken only when DEPLOYCAST_CONSOLE_SCREENSHOTS names a directory.</summary>
internal static class DocScreenshots
{
    public static async Task TakeAsync(IPage page, string name)
    {
        var directory = Environment.GetEnvironmentVariable("DEPLOYCAST_CONSOLE_SCREENSHOTS");
        if (string.IsNullOrEmpty(directory))
        {
            return;
        }

        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, $"{name}.png") });
    }
}

/// <summary>What a refused field looks like to a user and to a screen reader.</summary>
internal static class FieldError
{
    /// <summary>
    /// The message under the field, the field marked invalid and focused (the first refused one), and the message tied
    /// to the field by <c>aria-describedby</c>, so it is read with it.
    /// </summary>
    public static async Task ExpectAsync(ILocator input, ILocator message, string text)
    {
        await Assertions.Expect(message).ToContainTextAsync(text);
        await Assertions.Expect(input).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(input).ToBeFocusedAsync();
        Assert.Contains(await message.GetAttributeAsync("id"), (await input.GetAttributeAsync("aria-describedby") ?? string.Empty).Split(' '));
    }
}
