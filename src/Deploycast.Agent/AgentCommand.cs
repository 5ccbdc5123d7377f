using System.CommandLine;
using System.Net;
namespace Deploycast.Agent;

/// <summary>
/// <c>deploycast agent</c> (and the stand-alone <c>deploycast-agent</c>): registers this computer, fetches its policy
/// and runs the task sequences deployed to it.
/// </summary>
public static class AgentCommand
{
    /// <summary>The command, named <paramref name="commandName"/>.</summary>
    public static Command Create(string commandName = "agent")
    {
        var server = new Option<Uri>("--server", "-s")
        {
            Description = "the site server's https:// address",
            Required = true,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps)
                {
                    return uri;
                }

                result.AddError($"--server: '{text}' is not an https:// address such as https://site.example:8443");
                return null!;
            },
        };
        var fingerprint = new Option<string?>("--fingerprint", "-f") { Description = "SHA-256 of the site server's certificate (hex), as 'deploycast server' prints it" };
        var dataDir = new Option<DirectoryInfo?>("--data-dir", "-d") { Description = "where the agent keeps its credential, state, downloads and log (default /var/lib/deploycast-agent as root, else ~/.local/share/deploycast-agent)" };
        var name = new Option<string?>("--name") { Description = "computer name to register with (default the host name)" };
        var macs = new Option<string[]>("--mac") { Description = "MAC address to register with; repeat for several (default the computer's adapters)", AllowMultipleArgumentsPerToken = false };
        var uuid = new Option<string?>("--uuid") { Description = "SMBIOS UUID to register with (default read from the firmware where readable)" };
        var multicastInterface = new Option<IPAddress>("--interface", "-i")
        {
            Description = "IPv4 address of the interface multicast is received on (default 127.0.0.1)",
            DefaultValueFactory = _ => IPAddress.Loopback,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
                if (IPAddress.TryParse(text, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                {
                    return address;
                }

                result.AddError($"--interface: '{text}' is not an IPv4 address");
                return IPAddress.Loopback;
            },
        };
        var poll = new Option<int>("--poll") { Description = "seconds between policy checks while waiting (default 30)", DefaultValueFactory = _ => 30 };
        poll.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 86_400)
            {
                r.AddError("--poll: give 1 to 86400 seconds");
            }
        });
        var restart = new Option<string?>("--restart-command") { Description = "command a Restart Computer step runs when it names none (default 'systemctl reboot')" };
        var run = new Option<string?>("--run") { Description = "run this available deployment now (required ones run by themselves)" };
        var once = new Option<bool>("--once") { Description = "exit once the deployments due now have run, instead of waiting for more" };
        var command = new Command(commandName, "Run the agent: register this computer, get its policy, run the task sequences deployed to it and report status.")
        {
            server, fingerprint, dataDir, name, macs, uuid, multicastInterface, poll, restart, run, once,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var defaults = new AgentOptions { Server = result.GetRequiredValue(server), DataDirectory = DefaultDataDirectory() };
            var options = defaults with
            {
                Fingerprint = result.GetValue(fingerprint),
                DataDirectory = result.GetValue(dataDir)?.FullName ?? defaults.DataDirectory,
                DeviceName = result.GetValue(name) ?? defaults.DeviceName,
                MacAddresses = result.GetValue(macs) is { Length: > 0 } given ? given : null,
                SmbiosUuid = result.GetValue(uuid),
                MulticastInterface = result.GetRequiredValue(multicastInterface),
                PollInterval = TimeSpan.FromSeconds(result.GetValue(poll)),
                RestartCommand = result.GetValue(restart) ?? defaults.RestartCommand,
                RunDeployment = result.GetValue(run),
                Once = result.GetValue(once),
            };
            return await AgentRunner.RunAsync(options, Console.Out, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static string DefaultDataDirectory() =>
        Environment.UserName == "root" && !OperatingSystem.IsWindows()
            ? "/var/lib/deploycast-agent"
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "deploycast-agent");
}
