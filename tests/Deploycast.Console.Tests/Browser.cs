using Microsoft.Playwright;

namespace Deploycast.Console.Tests;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright: one browser for the test run, a fresh context (cookies,
/// storage) per test. Playwright's own browser download is never used; CI installs <c>chromium</c> from Debian.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    /// <summary>Where Debian puts Chromium.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>The laptop screen the console is laid out for.</summary>
    public static readonly ViewportSize Laptop = new() { Width = 1366, Height = 768 };

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"The console's browser tests need Debian's Chromium at {ChromiumPath}: run 'apt-get install chromium' as root (.ci/run does).");
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,

            // CI runs as root, where Chromium refuses its sandbox; /dev/shm is small in containers.
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
    }

    /// <summary>A new page in a fresh context at 1366×768 that trusts the test server's self-signed certificate.</summary>
    public async Task<IPage> NewPageAsync(Uri server)
    {
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.ToString(),
            ViewportSize = Laptop,
            IgnoreHTTPSErrors = true,
        });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        return page;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
