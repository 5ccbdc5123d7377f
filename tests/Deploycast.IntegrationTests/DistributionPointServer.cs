using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Deploycast.Client;
using Deploycast.DistributionPoint.Hosting;
using Deploycast.DistributionPoint.Settings;
using Deploycast.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Deploycast.IntegrationTests;

/// <summary>A real <c>deploycast server</c> (Kestrel, HTTPS on a free loopback port) in a temporary data directory.</summary>
internal sealed class DistributionPointServer : IAsyncDisposable
{
    public const string AdminToken = "test-admin-token-0123456789";
    public const string ClientToken = "test-client-token-0123456789";

    private readonly WebApplication _app;

    private readonly bool _ownsDirectory;

    private DistributionPointServer(WebApplication app, ServerStarted started, TempDirectory directory, bool ownsDirectory)
    {
        _app = app;
        Started = started;
        Directory = directory;
        _ownsDirectory = ownsDirectory;
    }

    public ServerStarted Started { get; }

    public TempDirectory Directory { get; }

    public Uri Url => Started.Url;

    public DistributionPointRole Role => _app.Services.GetRequiredService<DistributionPointRole>();

    /// <summary>The site manager of this server's site role.</summary>
    public Deploycast.Site.Management.SiteManager Site => _app.Services.GetRequiredService<Deploycast.Site.Management.SiteManager>();

    /// <summary>The host, for what a test does with it as <c>deploycast server</c> does (registering with a site).</summary>
    public WebApplication App => _app;

    /// <summary>Starts a server; <paramref name="settings"/> adds configuration (for example <c>Site:DistributionPointPollInterval</c>).</summary>
    /// <param name="directory">A directory the caller owns and deletes (to start a server again on the same data);
    /// default: a new one the server deletes when disposed.</param>
    /// <param name="services">Replaces services of the server (for example the multicast session factory).</param>
    public static async Task<DistributionPointServer> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, TempDirectory? directory = null, Action<IServiceCollection>? services = null)
    {
        var owns = directory is null;
        directory ??= new TempDirectory();
        var configuration = new Dictionary<string, string?>
        {
            ["DistributionPoint:AdminToken"] = AdminToken,
            ["DistributionPoint:ClientToken"] = ClientToken,
            ["DistributionPoint:LockDirectory"] = directory.File("locks"),
            ["DistributionPoint:SchedulerInterval"] = "00:00:00.100",
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[name] = value;
        }

        var app = ServerHost.Build(
            new ServerOptions
            {
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                DataDirectory = directory.File("data"),
                Settings = configuration,
            },
            _ => { },
            services);
        var started = await ServerHost.StartAsync(app, CancellationToken.None);
        var server = new DistributionPointServer(app, started, directory, owns);

        // Each test server gets its own group range, so servers of tests running side by side never share a group.
        var octet = 100 + (Random.Shared.Next(0, 100));
        var errors = server.Role.UpdateSettings(MulticastSettings.Default with
        {
            AddressRangeStart = $"239.255.{octet}.1",
            AddressRangeEnd = $"239.255.{octet}.254",
        });
        Assert.Empty(errors);
        return server;
    }

    /// <summary>An HTTP client that trusts exactly this server's certificate (by fingerprint), with an optional bearer token.</summary>
    public HttpClient Http(string? token = null)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(certificate.GetRawCertData())) == Started.CertificateFingerprint;
        var http = new HttpClient(handler) { BaseAddress = Url };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    public DistributionPointClient Client(string? token = ClientToken) => new(Url, Started.CertificateFingerprint, token);

    /// <summary>Imports <paramref name="path"/> as a package version through the API.</summary>
    public async Task AddPackageAsync(string packageId, string path, bool encrypt = false, bool multicastOnly = false)
    {
        using var http = Http(AdminToken);
        using var response = await http.PostAsJsonAsync("/api/v1/dp/packages", new { packageId, version = 1, path, encryptMulticast = encrypt, multicastOnly });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsDirectory)
        {
            Directory.Dispose();
        }
    }
}
