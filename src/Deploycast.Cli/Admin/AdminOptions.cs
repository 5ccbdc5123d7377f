using System.CommandLine;
using Deploycast.Client;

namespace Deploycast.Cli.Admin;

/// <summary>
/// The options every admin command takes: where the server is, how to trust it, the administrator token, and
/// whether to print JSON. Each command gets its own instances (a System.CommandLine option has one parent).
/// </summary>
internal sealed class AdminOptions
{
    public const string ServerVariable = "DEPLOYCAST_SERVER";
    public const string FingerprintVariable = "DEPLOYCAST_FINGERPRINT";
    public const string TokenVariable = "DEPLOYCAST_TOKEN";
    public const string DefaultServer = "https://127.0.0.1:8443";

    // The environment is read when the command runs, not as the options' default values: help prints default
    // values, and the token is a secret.
    private readonly Option<string?> _server = new("--server", "-s")
    {
        Description = $"the site server's URL (default ${ServerVariable}, else {DefaultServer})",
    };

    private readonly Option<string?> _fingerprint = new("--fingerprint", "-f")
    {
        Description = $"SHA-256 of the server's certificate, as `deploycast server` prints it (default ${FingerprintVariable}); required",
    };

    private readonly Option<string?> _token = new("--token", "-t")
    {
        Description = $"the administrator token (default ${TokenVariable})",
    };

    private readonly Option<bool> _json = new("--json") { Description = "print the API's JSON instead of a table" };

    private AdminOptions()
    {
    }

    /// <summary>Adds the shared options to <paramref name="command"/>.</summary>
    public static AdminOptions AddTo(Command command)
    {
        var options = new AdminOptions();
        command.Options.Add(options._server);
        command.Options.Add(options._fingerprint);
        command.Options.Add(options._token);
        command.Options.Add(options._json);
        return options;
    }

    /// <summary>Sets <paramref name="command"/>'s action: connect, run <paramref name="body"/>, turn failures into messages and exit codes.</summary>
    public void SetAction(Command command, Func<ParseResult, AdminContext, CancellationToken, Task<int>> body) =>
        command.SetAction((result, cancellationToken) => RunAsync(result, body, cancellationToken));

    private static string? Environment(string name) => System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    private async Task<int> RunAsync(ParseResult result, Func<ParseResult, AdminContext, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        var output = result.InvocationConfiguration.Output;
        var error = result.InvocationConfiguration.Error;
        var serverText = result.GetValue(_server) ?? Environment(ServerVariable) ?? DefaultServer;
        if (!Uri.TryCreate(serverText, UriKind.Absolute, out var server) || server.Scheme != Uri.UriSchemeHttps)
        {
            await error.WriteLineAsync($"error: --server: '{serverText}' is not an https:// URL such as {DefaultServer}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var fingerprint = result.GetValue(_fingerprint) ?? Environment(FingerprintVariable);
        if (fingerprint is null)
        {
            await error.WriteLineAsync(
                $"error: --fingerprint is required (or set {FingerprintVariable}): the certificate SHA-256 that `deploycast server` prints; deploycast trusts {server} only by it").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        try
        {
            CertificatePinning.Normalize(fingerprint);
        }
        catch (ArgumentException e)
        {
            await error.WriteLineAsync($"error: --fingerprint: {e.Message.Split(" (Parameter", 2)[0]}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        using var client = new SiteClient(server, fingerprint, result.GetValue(_token) ?? Environment(TokenVariable));
        var context = new AdminContext(client, output, error, result.GetValue(_json));
        try
        {
            return await body(result, context, cancellationToken).ConfigureAwait(false);
        }
        catch (SiteRefusedException e)
        {
            context.PrintProblem(e.Problem);
            return ExitCodes.Refused;
        }
        catch (SiteConnectionException e)
        {
            await error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("interrupted").ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
    }
}

/// <summary>The exit codes of the admin commands.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The server refused the request (its problem details are printed).</summary>
    public const int Refused = 1;

    /// <summary>A usage error, or the server could not be reached or trusted.</summary>
    public const int Usage = 2;

    /// <summary>Stopped by Ctrl+C.</summary>
    public const int Interrupted = 130;
}

/// <summary>A command line that is wrong in a way only the command can tell (exit code 2).</summary>
internal sealed class UsageException(string message) : Exception(message);
