namespace Deploycast.DistributionPoint.Sessions;

/// <summary>
/// One package version's content as the scheduler needs it, with the package's multicast options.
/// </summary>
/// <param name="PackageId">The package ID (compared without regard to case, as Configuration Manager does).</param>
/// <param name="Version">The package's source version.</param>
/// <param name="ContentId">The content's identity in the content library (compared exactly).</param>
/// <param name="Size">Content size in bytes.</param>
/// <param name="AllowMulticast">"Allow this package to be transferred via multicast".</param>
/// <param name="EncryptMulticast">"Encrypt multicast packages": each session gets its own key.</param>
/// <param name="MulticastOnly">"Transfer this package only via multicast": no unicast fallback.</param>
public sealed record PackageContentRef(
    string PackageId,
    int Version,
    string ContentId,
    long Size,
    bool AllowMulticast,
    bool EncryptMulticast,
    bool MulticastOnly);
