using System.Text.Json.Serialization;
using Deploycast.DistributionPoint.Api;
using Deploycast.DistributionPoint.Hosting;
using Deploycast.DistributionPoint.Settings;
using Deploycast.Server.Console;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Deploycast.Site.Api;
using Deploycast.Site.Hosting;
using Deploycast.Site.Management;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Deploycast.Server;

/// <summary>
/// <c>deploycast server</c>: Kestrel over HTTPS with the site server and distribution point roles and the web console. Bad start-up settings stop it with the setting's name.
/// </summary>
public static class ServerHost
{
    /// <summary>Builds the application; <see cref="StartAsync"/> runs it.</summary>
    /// <param name="options">What the command line gave.</param>
    /// <param name="logging">Replaces the logging providers when given.</param>
    /// <param name="services">Changes the services after the roles are added (tests replace the multicast session factory); default none.</param>
    public static WebApplication Build(ServerOptions options, Action<ILoggingBuilder>? logging = null, Action<IServiceCollection>? services = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration.AddEnvironmentVariables("DEPLOYCAST_");
        var extra = new Dictionary<string, string?>(options.Settings);
        if (options.DataDirectory is not null)
        {
            extra[$"{DistributionPointOptions.Section}:{nameof(DistributionPointOptions.DataDirectory)}"] = options.DataDirectory;
        }

        builder.Configuration.AddInMemoryCollection(extra);
        if (logging is not null)
        {
            builder.Logging.ClearProviders();
            logging(builder.Logging);
        }

        var dpOptions = new DistributionPointOptions();
        builder.Configuration.GetSection(DistributionPointOptions.Section).Bind(dpOptions);
        var errors = dpOptions.Validate();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, errors));
        }

        Directory.CreateDirectory(dpOptions.DataDirectory);
        var certificate = TlsCertificate.LoadOrCreate(dpOptions.DataDirectory, dpOptions.CertificatePath, dpOptions.CertificatePassword, out _);
        builder.Services.AddSingleton(new TlsIdentity(TlsCertificate.Fingerprint(certificate)));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(options.Listen, listen => listen.UseHttps(certificate)));
        builder.Services.Configure<ServerListen>(listen => listen.EndPoint = options.Listen);
        builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = RequestBodyProblems.Describe);
        builder.Services.Configure<RouteHandlerOptions>(route => route.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new EnumNameConverter());
            json.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        builder.Services.AddDistributionPoint(builder.Configuration);
        builder.Services.AddSingleton<LocalContentDistributor>();
        builder.Services.AddSingleton<IContentDistributor>(sp => sp.GetRequiredService<LocalContentDistributor>());
        builder.Services.AddSingleton<IAdminAuthenticator, ServerAdminAuthenticator>();
        builder.Services.AddSingleton<IImageInspector, WimImageInspector>();
        builder.Services.AddSingleton(sp => new SiteClientChecks(TimeProvider.System, sp.GetRequiredService<ILogger<SiteClientChecks>>()));
        builder.Services.Replace(ServiceDescriptor.Singleton<IClientAuthorizer, SiteClientAuthorizer>());
        builder.Services.AddSingleton<DistributionPointStatusForwarder>();
        builder.Services.AddSite(builder.Configuration, dpOptions.DataDirectory);
        builder.Services.AddSingleton(new ConsoleSessions(TimeProvider.System));
        builder.Services.AddSingleton(new SignInThrottle(TimeProvider.System));
        services?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // A body that does not bind (bad JSON, a wrong type, an unknown enum name) is the caller's mistake: 400.
            StatusCodeSelector = exception => exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        app.UseConsoleFiles();
        app.UseMiddleware<ConsoleAuthentication>();
        app.MapDistributionPoint();
        app.MapSite();
        app.MapConsole();
        return app;
    }

    /// <summary>
    /// Starts the server and returns what a person needs to use it: the URL, the certificate fingerprint to pin, and
    /// tokens made at this start (shown once).
    /// </summary>
    public static async Task<ServerStarted> StartAsync(WebApplication app, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);

        // Resolve the role first: a stored setting this version rejects stops the start-up here, with its name.
        var role = app.Services.GetRequiredService<DistributionPointRole>();
        var tokens = app.Services.GetRequiredService<AccessTokens>();
        var site = app.Services.GetRequiredService<SiteManager>();
        await site.InitializeAsync(cancellationToken).ConfigureAwait(false);
        var forwarder = app.Services.GetRequiredService<DistributionPointStatusForwarder>();
        role.StatusRecorded += forwarder.Forward;
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var url = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
        var advertised = AdvertisedUrl(app, url);
        app.Services.GetRequiredService<LocalContentDistributor>().SetUrl(advertised);
        await site.SaveLocalDistributionPointAsync(cancellationToken).ConfigureAwait(false);
        return new ServerStarted(
            url,
            app.Services.GetRequiredService<TlsIdentity>().Fingerprint,
            role.SiteKey.Fingerprint,
            app.Services.GetRequiredService<IOptions<DistributionPointOptions>>().Value.DataDirectory,
            tokens.NewAdminToken,
            tokens.NewClientToken,
            role.Settings,
            advertised);
    }

    /// <summary>
    /// Registers a started server's DP with a site (<see cref="SiteRegistration.RegisterAsync"/>), makes it trust and
    /// publish the site's manifest-signing key, and starts polling the site for the content assigned to it
    /// (<see cref="SiteContentSync"/>) until the server stops. Downloads in progress live in <c>distribution/</c> in the
    /// data directory.
    /// </summary>
    /// <exception cref="SiteRegistrationException">The site refused, could not be reached, or gave no key or credential.</exception>
    public static async Task<DistributionPointRegistered> RegisterWithSiteAsync(
        WebApplication app, ServerStarted started, SiteRegistrationOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(started);
        var registered = await SiteRegistration.RegisterAsync(options, started.AdvertisedUrl, started.CertificateFingerprint, cancellationToken).ConfigureAwait(false);
        if (registered.SiteKey is null)
        {
            throw new SiteRegistrationException($"the site {options.Site} has no manifest-signing key to give (it holds no distribution point role)");
        }

        var credential = registered.Credential
            ?? throw new SiteRegistrationException($"the site {options.Site} gave no credential at registration (an older site server?)");
        var role = app.Services.GetRequiredService<DistributionPointRole>();
        role.TrustSiteKey(Convert.FromBase64String(registered.SiteKey));
        var saved = new SavedSiteRegistration(options.Site, options.SiteFingerprint, registered.DistributionPoint.Id, credential, SiteRegistration.KeyFingerprint(registered.SiteKey));
        saved.Save(started.DataDirectory);
        StartSync(app, started, saved);
        return registered;
    }

    /// <summary>
    /// A server started without <c>--register-with</c> whose data directory holds a registration (it registered before)
    /// goes on polling that site with the credential it got then. Returns the registration, or null when there is none.
    /// </summary>
    public static SavedSiteRegistration? ResumeSiteSync(WebApplication app, ServerStarted started)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(started);
        var saved = SavedSiteRegistration.Load(started.DataDirectory);
        if (saved is not null)
        {
            StartSync(app, started, saved);
        }

        return saved;
    }

    private static void StartSync(WebApplication app, ServerStarted started, SavedSiteRegistration saved)
    {
        var sync = new SiteContentSync(
            new SiteRegistrationOptions(saved.Site, saved.SiteFingerprint, string.Empty, saved.DistributionPointId), saved.Credential, saved.SiteKeyFingerprint,
            app.Services.GetRequiredService<DistributionPointRole>(), Path.Combine(started.DataDirectory, "distribution"),
            app.Services.GetRequiredService<ILogger<SiteContentSync>>());
        app.Services.GetRequiredService<SiteClientChecks>().Connect(saved.Site, saved.SiteFingerprint, saved.Credential);
        var stopping = app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        _ = Task.Run(() => sync.RunAsync(stopping), CancellationToken.None);
    }

    /// <summary>The address agents are told to reach this server's DP at: <c>Site:AdvertisedUrl</c>, else where it listens.</summary>
    private static Uri AdvertisedUrl(WebApplication app, Uri listening)
    {
        var configured = app.Configuration["Site:AdvertisedUrl"];
        if (string.IsNullOrWhiteSpace(configured))
        {
            // Listening on every address: agents on other computers cannot use 127.0.0.1; tell them the host's name.
            var endpoint = app.Services.GetRequiredService<IOptions<ServerListen>>().Value.EndPoint;
            return endpoint is not null && (endpoint.Address.Equals(System.Net.IPAddress.Any) || endpoint.Address.Equals(System.Net.IPAddress.IPv6Any))
                ? new UriBuilder(listening) { Host = System.Net.Dns.GetHostName() }.Uri
                : listening;
        }

        if (!Uri.TryCreate(configured, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps)
        {
            throw new InvalidOperationException($"Site:AdvertisedUrl is '{configured}'; it must be an https:// address agents can reach, such as https://dp1.example:8443/.");
        }

        return url;
    }
}

/// <summary>A started server, as <c>deploycast server</c> prints it; <see cref="AdvertisedUrl"/> is where agents are sent (<c>Site:AdvertisedUrl</c>, else <see cref="Url"/>).</summary>
public sealed record ServerStarted(
    Uri Url,
    string CertificateFingerprint,
    string SiteKeyFingerprint,
    string DataDirectory,
    string? NewAdminToken,
    string? NewClientToken,
    MulticastSettings Multicast,
    Uri AdvertisedUrl);

/// <summary>Where the server was asked to listen (for the address it advertises).</summary>
internal sealed class ServerListen
{
    public System.Net.IPEndPoint? EndPoint { get; set; }
}
