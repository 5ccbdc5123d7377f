namespace Deploycast.Client;

/// <summary>Body of <c>POST /api/v1/dp/sessions</c>: a client asks for a package version.</summary>
public sealed record SessionRequestBody(string? ClientId, string? PackageId, int? Version);

/// <summary>What the distribution point answers: join, wait, busy, use unicast, or refused, with the reason.</summary>
public sealed record SessionResponse(
    string Decision,
    string Reason,
    int? RetryAfterSeconds,
    bool UnicastAllowed,
    string? ContentUrl,
    string? ManifestUrl,
    SessionParameters? Session);

/// <summary>Everything a receiver needs to join: the group, its receiver id, the manifest hash to pin, and the key if encrypted.</summary>
public sealed record SessionParameters(
    uint SessionId,
    string Group,
    int Port,
    string Interface,
    uint ReceiverId,
    int Tier,
    string? Key,
    string ManifestSha256,
    string ContentId,
    long Size);

/// <summary>Body of <c>POST /api/v1/dp/packages</c>: import a file on the server as a package version.</summary>
public sealed record AddPackageBody(
    string? PackageId,
    int? Version,
    string? Name,
    string? Path,
    bool? AllowMulticast,
    bool? EncryptMulticast,
    bool? MulticastOnly);

/// <summary>Body of <c>PATCH /api/v1/dp/packages/{id}/{version}</c>: change the package's multicast options.</summary>
public sealed record PackageOptionsBody(bool? AllowMulticast, bool? EncryptMulticast, bool? MulticastOnly);

/// <summary>What <c>GET /api/v1/dp</c> tells anyone: how to trust this distribution point.</summary>
public sealed record DistributionPointInfo(
    string CertificateFingerprint,
    string SiteKeyFingerprint,
    string SiteKeySpki,
    bool MulticastEnabled);
