using System.CommandLine;
using System.Text.Json;
using Deploycast.Cli.Commands;

namespace Deploycast.IntegrationTests;

/// <summary>Runs <c>deploycast</c> admin commands in this process, as the executable's entry point does, and captures what they print.</summary>
internal static class AdminCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs a command against <paramref name="server"/> with its URL, fingerprint and administrator token.</summary>
    public static Task<AdminCliResult> RunAsync(DistributionPointServer server, params string[] arguments) =>
        RunRawAsync([.. arguments, "--server", server.Url.ToString(), "--fingerprint", server.Started.CertificateFingerprint, "--token", DistributionPointServer.AdminToken]);

    /// <summary>Runs a command with exactly the given arguments.</summary>
    public static async Task<AdminCliResult> RunRawAsync(params string[] arguments)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var configuration = new InvocationConfiguration { Output = output, Error = error };
        var exit = await DeploycastCommand.InvokeAsync(arguments, configuration, CancellationToken.None).WaitAsync(Timeout);
        return new AdminCliResult(exit, output.ToString(), error.ToString(), string.Join(' ', arguments));
    }

    /// <summary>Runs a command with <c>--json</c>, checks it succeeded, and parses what it printed.</summary>
    public static async Task<JsonElement> JsonAsync(DistributionPointServer server, params string[] arguments)
    {
        var result = await RunAsync(server, [.. arguments, "--json"]);
        result.AssertSuccess();
        using var document = JsonDocument.Parse(result.Output);
        return document.RootElement.Clone();
    }
}

/// <summary>A command's exit code and what it printed on stdout and stderr.</summary>
internal sealed record AdminCliResult(int ExitCode, string Output, string Error, string CommandLine)
{
    public void AssertSuccess() =>
        Assert.True(ExitCode == 0, $"deploycast {CommandLine} exited {ExitCode}:\n{Output}\n{Error}");
}
