using System.CommandLine;

namespace Deploycast.Cli.Commands;

/// <summary>The <c>deploycast</c> root command.</summary>
internal static class DeploycastCommand
{
    public static RootCommand Create() => new("Deploycast: deploy operating-system images to many computers at once over multicast.")
    {
        SendCommand.Create(),
        ReceiveCommand.Create(),
        ServerCommand.Create(),
        DownloadCommand.Create(),
    };
}
