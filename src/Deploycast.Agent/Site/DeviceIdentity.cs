using System.Net.NetworkInformation;
using Deploycast.Site.Model;

namespace Deploycast.Agent.Site;

/// <summary>What the agent tells the site this computer is: its name, MAC addresses and SMBIOS UUID.</summary>
public static class DeviceIdentity
{
    private const string ProductUuidPath = "/sys/class/dmi/id/product_uuid";

    /// <summary>The registration entry from the options, filling in what they leave out from the computer itself.</summary>
    public static DeviceEntry Describe(AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var macs = options.MacAddresses is { Count: > 0 } given ? given : MacAddresses();
        return new DeviceEntry(options.DeviceName, macs, options.SmbiosUuid ?? SmbiosUuid());
    }

    /// <summary>MAC addresses of Ethernet and Wi-Fi adapters (not loopback, tunnels or zero addresses).</summary>
    public static IReadOnlyList<string> MacAddresses() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.NetworkInterfaceType is NetworkInterfaceType.Ethernet or NetworkInterfaceType.Wireless80211 or NetworkInterfaceType.GigabitEthernet)
            .Select(n => n.GetPhysicalAddress().GetAddressBytes())
            .Where(b => b.Length == 6 && b.Any(x => x != 0))
            .Select(b => string.Join(':', b.Select(x => x.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))))
            .Distinct()
            .ToList();

    /// <summary>The SMBIOS UUID where the system lets us read it (root on Linux), else null.</summary>
    public static string? SmbiosUuid()
    {
        try
        {
            var text = File.Exists(ProductUuidPath) ? File.ReadAllText(ProductUuidPath).Trim() : null;
            return Guid.TryParse(text, out var uuid) && uuid != Guid.Empty ? uuid.ToString() : null;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return null;
        }
    }
}
