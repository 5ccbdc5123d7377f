namespace Deploycast.Site.Model;

/// <summary>A distribution point known to the site.</summary>
/// <param name="Id">Its name, unique in the site, for example <c>local</c> or the DP host's name.</param>
/// <param name="Url">Its HTTPS base address, where agents request sessions and download content.</param>
/// <param name="CertificateFingerprint">SHA-256 of its TLS certificate, which agents pin.</param>
/// <param name="IsLocal">True for the DP role in the site server's own process.</param>
/// <param name="Registered">When it registered (or was made, for the local one).</param>
/// <param name="LastSeen">When it last reported to the site (registration, or its last poll for content).</param>
/// <param name="Health">What it reported at its last poll (multicast settings, sessions, packages); null for the local DP
/// and before a registered DP's first poll.</param>
public sealed record DistributionPointRecord(
    string Id,
    Uri Url,
    string CertificateFingerprint,
    bool IsLocal,
    DateTimeOffset Registered,
    DateTimeOffset LastSeen,
    DistributionPointHealth? Health = null);

/// <summary>What a registered distribution point reports about itself each time it polls the site.</summary>
/// <param name="MulticastEnabled">Its "Enable multicast" setting.</param>
/// <param name="Interface">The interface its sessions are sent from.</param>
/// <param name="AddressRange">Its multicast address range, "first-last".</param>
/// <param name="PortRange">Its UDP port range, "first-last".</param>
/// <param name="ActiveSessions">Multicast sessions it runs now.</param>
/// <param name="Packages">Package versions it holds.</param>
/// <param name="UnservableContent">Items of its content library that are not servable (corrupt, missing, changed).</param>
public sealed record DistributionPointHealth(
    bool MulticastEnabled,
    string Interface,
    string AddressRange,
    string PortRange,
    int ActiveSessions,
    int Packages,
    int UnservableContent);

/// <summary>Whether a distribution point holds a package version (ConfigMgr's content distribution status).</summary>
/// <param name="PackageId">The package.</param>
/// <param name="Version">The version.</param>
/// <param name="DistributionPointId">The DP.</param>
/// <param name="State">Where distribution stands.</param>
/// <param name="Message">Why it failed, or null.</param>
/// <param name="Updated">When the state last changed.</param>
public sealed record DistributionStatus(
    string PackageId,
    int Version,
    string DistributionPointId,
    DistributionState State,
    string? Message,
    DateTimeOffset Updated);

/// <summary>Content distribution states.</summary>
public enum DistributionState
{
    /// <summary>Sent to the DP, not confirmed yet.</summary>
    InProgress,

    /// <summary>The DP holds the content and can serve it.</summary>
    Installed,

    /// <summary>Distribution failed, or the DP found the content corrupt; see the message.</summary>
    Failed,
}
