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
        var command = new Command("server", "Run the distribution point: multicast sessions, session initiation and HTTP fallback over HTTPS.")
        {
            listen, dataDir, adminToken, clientToken,
        };
        command.SetAction((result, cancellationToken) => RunAsync(
            result.GetRequiredValue(listen), result.GetValue(dataDir), result.GetValue(adminToken), result.GetValue(clientToken), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(IPEndPoint listen, DirectoryInfo? dataDir, string? adminToken, string? clientToken, CancellationToken cancellationToken)
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
}
