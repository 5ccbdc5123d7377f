namespace Deploycast.DistributionPoint.Storage;

/// <summary>
/// A package version this distribution point holds, with the package's multicast options as Configuration Manager
/// names them on the OS image package's Distribution Settings tab.
/// </summary>
/// <param name="PackageId">The package ID (for example "DC100001"); compared without regard to case.</param>
/// <param name="Version">The package's source version, from 1.</param>
/// <param name="Name">A display name.</param>
/// <param name="ContentId">The content in the content library (SHA-256 of the image file).</param>
/// <param name="Size">Bytes.</param>
/// <param name="AllowMulticast">"Allow this package to be transferred via multicast".</param>
/// <param name="EncryptMulticast">"Encrypt multicast packages".</param>
/// <param name="MulticastOnly">"Transfer this package only via multicast": no unicast (HTTP) download.</param>
/// <param name="Added">When the version was added to this distribution point.</param>
public sealed record DistributionPointPackage(
    string PackageId,
    int Version,
    string Name,
    string ContentId,
    long Size,
    bool AllowMulticast,
    bool EncryptMulticast,
    bool MulticastOnly,
    DateTimeOffset Added);
