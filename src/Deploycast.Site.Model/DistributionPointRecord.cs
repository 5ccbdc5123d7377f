namespace Deploycast.Site.Model;

/// <summary>A distribution point known to the site.</summary>
/// <param name="Id">Its name, unique in the site, for example <c>local</c> or the DP host's name.</param>
/// <param name="Url">Its HTTPS base address, where agents request sessions and download content.</param>
/// <param name="CertificateFingerprint">SHA-256 of its TLS certificate, which agents pin.</param>
/// <param name="IsLocal">True for the DP role in the site server's own process.</param>
/// <param name="Registered">When it registered (or was made, for the local one).</param>
/// <param name="LastSeen">When it last reported to the site.</param>
public sealed record DistributionPointRecord(
    string Id,
    Uri Url,
    string CertificateFingerprint,
    bool IsLocal,
    DateTimeOffset Registered,
    DateTimeOffset LastSeen);

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
