using System.CommandLine;
using System.Net;
using Deploycast.Server;
using Microsoft.Extensions.Logging;

namespace Deploycast.Cli.Commands;

/// <summary><c>deploycast server</c>: the distribution point (and, later, the site server) over HTTPS.</summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        var listen = new Option<IPEndPoint>("--listen", "-l")
        {
            Description = "address:port of the HTTPS API (default 127.0.0.1:8443; 0 picks a free port)",
            DefaultValueFactory = _ => new IPEndPoint(IPAddress.Loopback, 8443),
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                if (IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port is >= 0 and <= 65535 && text.Contains(':', StringComparison.Ordinal))
                {
                    return endpoint;
                }

                result.AddError($"--listen: '{text}' is not an address:port such as 127.0.0.1:8443");
                return null!;
            },
        };
        var dataDir = new Option<DirectoryInfo?>("--data-dir", "-d") { Description = "where the database, content library, site key and certificate live (default ~/.local/share/deploycast)" };
        var adminToken = new Option<string?>("--admin-token") { Description = "use this administrator token instead of the stored or a new one (at least 16 characters)" };
        var clientToken = new Option<string?>("--client-token") { Description = "use this client token instead of the stored or a new one (at least 16 characters)" };
        var registerWith = new Option<Uri?>("--register-with")
        {
            Description = "after starting, register this server's DP with the site server at this https:// address",
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                if (Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme == Uri.UriSchemeHttps)
                {
                    return url;
                }

                result.AddError($"--register-with: '{text}' is not an https:// address such as https://site.example:8443/");
                return null;
            },
        };
        var siteFingerprint = new Option<string?>("--site-fingerprint") { Description = "SHA-256 of the site server's certificate, which --register-with pins (as the site printed it)" };
        siteFingerprint.Validators.Add(result =>
        {
            try
            {
                Deploycast.Client.CertificatePinning.Normalize(result.GetValueOrDefault<string?>(), "--site-fingerprint");
            }
            catch (ArgumentException e)
            {
                result.AddError($"--site-fingerprint: {e.Message.Split(" (Parameter", 2)[0]}");
            }
        });
        var registrationToken = new Option<string?>("--registration-token") { Description = "registration token from 'deploycast dp token' (with --register-with)" };
        var dpId = new Option<string?>("--dp-id") { Description = "this DP's name in the site (default: the host name)" };
        var command = new Command("server", "Run the distribution point: multicast sessions, session initiation and HTTP fallback over HTTPS.")
        {
            listen, dataDir, adminToken, clientToken, registerWith, siteFingerprint, registrationToken, dpId,
        };
        command.Validators.Add(result =>
        {
            var registering = result.GetValue(registerWith) is not null;
            if (registering && string.IsNullOrWhiteSpace(result.GetValue(registrationToken)))
            {
                result.AddError("--register-with needs --registration-token (make one on the site with 'deploycast dp token')");
            }
            else if (!registering && new Option[] { registrationToken, siteFingerprint, dpId }.Any(o => result.GetResult(o) is not null))
            {
                result.AddError("--registration-token, --site-fingerprint and --dp-id need --register-with <site url>");
            }
        });
        command.SetAction((result, cancellationToken) =>
        {
            var site = result.GetValue(registerWith);
            var registration = site is null ? null : new SiteRegistrationOptions(
                site,
                Deploycast.Client.CertificatePinning.Normalize(result.GetValue(siteFingerprint)),
                result.GetValue(registrationToken)!.Trim(),
                result.GetValue(dpId) ?? Dns.GetHostName());
            return RunAsync(result.GetRequiredValue(listen), result.GetValue(dataDir), result.GetValue(adminToken), result.GetValue(clientToken), registration, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(
        IPEndPoint listen, DirectoryInfo? dataDir, string? adminToken, string? clientToken, SiteRegistrationOptions? registration, CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string?>();
        if (adminToken is not null)
        {
            settings["DistributionPoint:AdminToken"] = adminToken;
        }

        if (clientToken is not null)
        {
            settings["DistributionPoint:ClientToken"] = clientToken;
        }

        Microsoft.AspNetCore.Builder.WebApplication app;
        ServerStarted started;
        try
        {
            app = ServerHost.Build(
                new ServerOptions { Listen = listen, DataDirectory = dataDir?.FullName, Settings = settings },
                logging => logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }).SetMinimumLevel(LogLevel.Information)
                    .AddFilter("Microsoft.AspNetCore", LogLevel.Warning));
            started = await ServerHost.StartAsync(app, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException or Deploycast.DistributionPoint.Settings.MulticastSettingsException)
        {
            ConsoleOutput.Note($"error: {e.Message}");
            return 2;
        }

        await using (app)
        {
            Console.Out.WriteLine($"Deploycast server listening on {started.Url}");
            Console.Out.WriteLine($"  certificate SHA-256 (clients pin it with --fingerprint): {started.CertificateFingerprint}");
            Console.Out.WriteLine($"  site key SHA-256: {started.SiteKeyFingerprint}");
            Console.Out.WriteLine($"  data directory: {started.DataDirectory}");
            Console.Out.WriteLine($"  multicast: {(started.Multicast.Enabled ? "enabled" : "disabled")} on {started.Multicast.Interface}, {started.Multicast.AddressRangeStart}-{started.Multicast.AddressRangeEnd}, ports {started.Multicast.PortRangeStart}-{started.Multicast.PortRangeEnd}");
            if (started.NewAdminToken is not null)
            {
                Console.Out.WriteLine($"  administrator token (shown once, stored hashed): {started.NewAdminToken}");
            }

            if (started.NewClientToken is not null)
            {
                Console.Out.WriteLine($"  client token (shown once, stored hashed): {started.NewClientToken}");
            }

            Console.Out.Flush();
            if (registration is not null && !await RegisterAsync(app, registration, started, cancellationToken).ConfigureAwait(false))
            {
                await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
                return 2;
            }

            if (registration is null)
            {
                try
                {
                    if (ServerHost.ResumeSiteSync(app, started) is { } saved)
                    {
                        Console.Out.WriteLine($"Distribution point '{saved.DistributionPointId}' of the site {saved.Site}: polling it for content (registered before)");
                        Console.Out.Flush();
                    }
                }
                catch (InvalidOperationException e)
                {
                    ConsoleOutput.Note($"error: {e.Message}");
                    await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
                    return 2;
                }
            }

            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Console.Out.WriteLine("Stopping: ending multicast sessions");
            }

            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>Registers the started DP with the site and prints the outcome; false when the site refused or was not reached.</summary>
    private static async Task<bool> RegisterAsync(Microsoft.AspNetCore.Builder.WebApplication app, SiteRegistrationOptions registration, ServerStarted started, CancellationToken cancellationToken)
    {
        try
        {
            var registered = await ServerHost.RegisterWithSiteAsync(app, started, registration, cancellationToken).ConfigureAwait(false);
            Console.Out.WriteLine($"Registered with the site {registration.Site} as distribution point '{registered.DistributionPoint.Id}' at {registered.DistributionPoint.Url}");
            if (SiteRegistration.KeyFingerprint(registered.SiteKey) is { } key)
            {
                Console.Out.WriteLine($"  the site's key SHA-256: {key}");
            }

            Console.Out.WriteLine("  polling the site for content distributed to this distribution point");

            Console.Out.Flush();
            return true;
        }
        catch (SiteRegistrationException e)
        {
            ConsoleOutput.Note($"error: registration failed: {e.Message}");
            return false;
        }
    }
}
