namespace Deploycast.Site.Model;

/// <summary>A device's policy.</summary>
/// <param name="DeviceId">The device.</param>
/// <param name="DeviceName">Its name.</param>
/// <param name="Generated">The site's time when the policy was made.</param>
/// <param name="SiteKey">The public key (SubjectPublicKeyInfo, base64) that signs every manifest; the agent checks manifests with it.</param>
/// <param name="Deployments">What to run.</param>
public sealed record DevicePolicy(long DeviceId, string DeviceName, DateTimeOffset Generated, string? SiteKey, IReadOnlyList<PolicyDeployment> Deployments);

/// <summary>One deployment in a device's policy.</summary>
/// <param name="Due">True when the agent must run it now: required and at or past its deadline.</param>
public sealed record PolicyDeployment(
    string DeploymentId,
    DeploymentPurpose Purpose,
    DateTimeOffset? Available,
    DateTimeOffset? Deadline,
    bool Due,
    ContentOption ContentOption,
    bool AllowUnicastFallback,
    TaskSequence TaskSequence,
    IReadOnlyList<PolicyContent> Content);

/// <summary>A package version a deployment needs, and how it may travel.</summary>
/// <param name="Multicast">The agent asks a DP for a multicast session first.</param>
/// <param name="EncryptMulticast">The session is encrypted; its key comes with the session answer to this device's credential.</param>
/// <param name="MulticastOnly">The package must never be downloaded by HTTP.</param>
/// <param name="UnicastAllowed">The agent may download by HTTP (when multicast is not offered, fails, or disconnects it).</param>
public sealed record PolicyContent(
    string PackageId,
    int Version,
    string Name,
    ImageType ImageType,
    string ContentId,
    long Size,
    bool Multicast,
    bool EncryptMulticast,
    bool MulticastOnly,
    bool UnicastAllowed,
    IReadOnlyList<PolicyDistributionPoint> DistributionPoints);

/// <summary>A DP that holds the content.</summary>
public sealed record PolicyDistributionPoint(string Id, Uri Url, string CertificateFingerprint);
