using System.Net;

namespace Deploycast.Agent;

/// <summary>How <c>deploycast agent</c> runs. Every default is documented in docs/agent.md.</summary>
public sealed record AgentOptions
{
    /// <summary>The site server's HTTPS address.</summary>
    public required Uri Server { get; init; }

    /// <summary>SHA-256 of the site server's TLS certificate (hex); null trusts the system's CAs.</summary>
    public string? Fingerprint { get; init; }

    /// <summary>Where the agent keeps its credential, deployment state, downloads and log. Default
    /// <c>/var/lib/deploycast-agent</c> as root, else <c>~/.local/share/deploycast-agent</c>.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The computer name it registers with; default the host name.</summary>
    public string DeviceName { get; init; } = Dns.GetHostName();

    /// <summary>MAC addresses it registers with; default those of the computer's Ethernet and Wi-Fi adapters.</summary>
    public IReadOnlyList<string>? MacAddresses { get; init; }

    /// <summary>The SMBIOS UUID; default read from <c>/sys/class/dmi/id/product_uuid</c> where readable.</summary>
    public string? SmbiosUuid { get; init; }

    /// <summary>The IPv4 interface multicast is received on. Default 127.0.0.1.</summary>
    public IPAddress MulticastInterface { get; init; } = IPAddress.Loopback;

    /// <summary>How often policy is fetched while waiting. Default 30 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The command a Restart Computer step runs when it names none. Default <c>systemctl reboot</c>.</summary>
    public string RestartCommand { get; init; } = "systemctl reboot";

    /// <summary>An available deployment to run now (<c>--run</c>); required deployments run by themselves.</summary>
    public string? RunDeployment { get; init; }

    /// <summary>Stop after the deployments due now have run, instead of waiting for more. Default false.</summary>
    public bool Once { get; init; }
}
