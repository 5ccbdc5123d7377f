using System.CommandLine;
using System.Net;
using Deploycast.Client;

namespace Deploycast.Cli.Commands;

/// <summary>
/// <c>deploycast download</c>: get a package version from a distribution point as a task sequence would: multicast
/// first, unicast when the DP and the package allow it; verified against the site-signed manifest.
/// </summary>
internal static class DownloadCommand
{
    public static Command Create()
    {
        var server = new Option<Uri>("--server", "-s")
        {
            Description = "the distribution point, e.g. https://127.0.0.1:8443",
            Required = true,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps)
                {
                    return uri;
                }

                result.AddError($"--server: '{text}' is not an https:// URL such as https://127.0.0.1:8443");
                return null!;
            },
        };
        var fingerprint = new Option<string?>("--fingerprint", "-f") { Description = "SHA-256 of the server's certificate, as `deploycast server` prints it" };
        var token = new Option<string?>("--token", "-t") { Description = "client token (needed for encrypted packages); or set DEPLOYCAST_TOKEN" };
        var package = new Option<string>("--package") { Description = "package ID", Required = true };
        var version = new Option<int>("--version") { Description = "package version (default 1)", DefaultValueFactory = _ => 1 };
        var output = new Option<FileInfo>("--output", "-o") { Description = "where to write the image (a partial one is resumed)", Required = true };
        var iface = CommonOptions.Interface();
        var clientId = new Option<string?>("--client-id") { Description = "this computer's name at the DP (default: the host name)" };
        var unicast = new Option<bool>("--unicast") { Description = "skip multicast (when the package allows unicast)" };
        var command = new Command("download", "Download a package from a distribution point: multicast first, unicast fallback where allowed; exits 0 only when verified.")
        {
            server, fingerprint, token, package, version, output, iface, clientId, unicast,
        };
        command.SetAction((result, cancellationToken) => RunAsync(
            result.GetRequiredValue(server), result.GetValue(fingerprint), result.GetValue(token) ?? Environment.GetEnvironmentVariable("DEPLOYCAST_TOKEN"),
            result.GetRequiredValue(package), result.GetValue(version), result.GetRequiredValue(output), result.GetRequiredValue(iface),
            result.GetValue(clientId), result.GetValue(unicast), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(Uri server, string? fingerprint, string? token, string package, int version, FileInfo output, IPAddress iface, string? clientId, bool unicast, CancellationToken cancellationToken)
    {
        DistributionPointClient client;
        try
        {
            client = new DistributionPointClient(server, fingerprint, token);
        }
        catch (ArgumentException e)
        {
            ConsoleOutput.Note($"error: {e.Message}");
            return 2;
        }

        using (client)
        {
            var options = new DownloadOptions { Interface = iface, Multicast = !unicast };
            if (clientId is not null)
            {
                options = options with { ClientId = clientId };
            }

            var downloader = new PackageDownloader(client, options);
            DownloadProgress? latest = null;
            var progress = new Progress<DownloadProgress>(p =>
            {
                if (latest?.Phase != p.Phase && p.Detail is not null)
                {
                    Console.Out.WriteLine($"{p.Phase}: {p.Detail}");
                }

                latest = p;
            });
            try
            {
                Console.Out.WriteLine($"Downloading {package} v{version} from {server} to {output.FullName}");
                var result = await ConsoleOutput.WithProgressAsync("Downloading", downloader.DownloadAsync(package, version, output.FullName, progress, cancellationToken),
                    () => latest is null ? (0, string.Empty) : (latest.BytesDone / (double)Math.Max(1, latest.TotalBytes), $"{latest.Phase} {RateParser.FormatBytes(latest.BytesDone)} of {RateParser.FormatBytes(latest.TotalBytes)}")).ConfigureAwait(false);
                foreach (var note in result.Notes)
                {
                    Console.Out.WriteLine($"  {note}");
                }

                Console.Out.WriteLine($"Downloaded and verified {RateParser.FormatBytes(result.Size)} by {result.Method} in {result.Elapsed.TotalSeconds:0.00} s ({RateParser.FormatBytes(result.BytesByMulticast)} by multicast, {RateParser.FormatBytes(result.BytesByUnicast)} by unicast)");
                return 0;
            }
            catch (Exception e) when (e is DistributionPointException or InvalidOperationException or InvalidDataException or IOException or TimeoutException or HttpRequestException or System.Net.Sockets.SocketException)
            {
                ConsoleOutput.Note($"error: {e.Message}");
                return 1;
            }
        }
    }
}
