using System.CommandLine;
using Deploycast.Cli.Admin;

namespace Deploycast.Cli.Commands;

/// <summary>The <c>deploycast</c> root command.</summary>
internal static class DeploycastCommand
{
    public static RootCommand Create() => new("Deploycast: deploy operating-system images to many computers at once over multicast.")
    {
        QuickstartCommand.Create(),
        SendCommand.Create(),
        ReceiveCommand.Create(),
        ServerCommand.Create(),
        DownloadCommand.Create(),
        PackageCommand.Create(),
        DpCommand.Create(),
        DeviceCommand.Create(),
        CollectionCommand.Create(),
        TaskSequenceCommand.Create(),
        DeployCommand.Create(),
        DeployCommand.CreateDeployment(),
        StatusCommand.Create(),
        Deploycast.Agent.AgentCommand.Create(),
    };

    /// <summary>
    /// Parses and runs a command line. A command line that does not parse exits 2 (usage), after the parser has said
    /// what is wrong; otherwise the command's own exit code.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args, InvocationConfiguration? configuration, CancellationToken cancellationToken)
    {
        var parse = Create().Parse(args);
        var exit = await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        return parse.Errors.Count > 0 ? ExitCodes.Usage : exit;
    }
}
