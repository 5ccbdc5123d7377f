using Deploycast.DistributionPoint.Settings;
using Deploycast.DistributionPoint.Status;

namespace Deploycast.DistributionPoint.Storage;

/// <summary>What a distribution point keeps between runs: its multicast settings, its packages, its status messages and secrets.</summary>
public interface IDistributionPointStore
{
    /// <summary>The saved multicast settings, or null before the first save.</summary>
    MulticastSettings? LoadSettings();

    void SaveSettings(MulticastSettings settings);

    IReadOnlyList<DistributionPointPackage> ListPackages();

    /// <summary>The package version, or null. Package ids compare without regard to case.</summary>
    DistributionPointPackage? GetPackage(string packageId, int version);

    /// <summary>Adds or replaces a package version.</summary>
    void SavePackage(DistributionPointPackage package);

    /// <summary>Removes a package version; false when it was not there.</summary>
    bool DeletePackage(string packageId, int version);

    void AddStatus(DistributionPointStatus status);

    /// <summary>The newest status messages, newest first.</summary>
    IReadOnlyList<DistributionPointStatus> RecentStatus(int limit);

    /// <summary>A named value (token hashes and the like), or null.</summary>
    string? GetSecret(string name);

    void SetSecret(string name, string value);
}
