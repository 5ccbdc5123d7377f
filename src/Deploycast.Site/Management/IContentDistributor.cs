namespace Deploycast.Site.Management;

/// <summary>
/// Puts a package version's content on a distribution point. The site server's own DP implements it in
/// <c>deploycast server</c>; content is imported into that DP's content library, which signs its manifest.
/// </summary>
public interface IContentDistributor
{
    /// <summary>The DP this distributor serves (its id in the site).</summary>
    string DistributionPointId { get; }

    /// <summary>The DP's HTTPS address and certificate fingerprint, which agents use.</summary>
    (Uri Url, string CertificateFingerprint) Endpoint { get; }

    /// <summary>The public key (SubjectPublicKeyInfo, base64) that signs manifests, which agents check them with.</summary>
    string SiteKey { get; }

    /// <summary>Imports the file as the package version's content, with the package's options.</summary>
    Task<DistributedContent> ImportAsync(ContentImportRequest request, CancellationToken cancellationToken);

    /// <summary>Applies changed multicast options to a version the DP holds.</summary>
    Task UpdateOptionsAsync(string packageId, int version, PackageMulticastOptions options, CancellationToken cancellationToken);
}

/// <summary>What to import.</summary>
public sealed record ContentImportRequest(string PackageId, int Version, string Name, string SourcePath, PackageMulticastOptions Options);

/// <summary>A package's multicast options.</summary>
public sealed record PackageMulticastOptions(bool AllowMulticast, bool EncryptMulticast, bool MulticastOnly);

/// <summary>The imported content: its SHA-256 and size.</summary>
public sealed record DistributedContent(string ContentId, long Size);

/// <summary>Reads what is inside an image file (how many images a WIM holds). Optional.</summary>
public interface IImageInspector
{
    /// <summary>The number of images in a WIM, or null when it cannot tell.</summary>
    int? CountWimImages(string path);
}
