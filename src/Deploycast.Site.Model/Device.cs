namespace Deploycast.Site.Model;

/// <summary>A computer the site knows, as Configuration Manager keeps a device record.</summary>
/// <param name="Id">The resource id the site gave it.</param>
/// <param name="Name">The computer name.</param>
/// <param name="MacAddresses">Its network adapters' MAC addresses, normalized to <c>00:11:22:aa:bb:cc</c>.</param>
/// <param name="SmbiosUuid">The SMBIOS UUID, or null when unknown.</param>
/// <param name="Approval">Whether it may receive policy.</param>
/// <param name="IsUnknown">True for a computer that registered without having been imported (an "unknown computer").</param>
/// <param name="IPv4Address">The address it last reported from, or null.</param>
/// <param name="Created">When the record was made.</param>
/// <param name="LastContact">When the agent last talked to the site, or null.</param>
public sealed record Device(
    long Id,
    string Name,
    IReadOnlyList<string> MacAddresses,
    Guid? SmbiosUuid,
    DeviceApproval Approval,
    bool IsUnknown,
    [property: System.Text.Json.Serialization.JsonPropertyName("ipv4Address")] string? IPv4Address,
    DateTimeOffset Created,
    DateTimeOffset? LastContact);

/// <summary>A device's approval state.</summary>
public enum DeviceApproval
{
    /// <summary>Registered, waiting for an administrator.</summary>
    Pending,

    /// <summary>May read its policy and report status.</summary>
    Approved,

    /// <summary>Refused: its credential is not accepted.</summary>
    Blocked,
}
