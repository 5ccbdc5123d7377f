namespace Deploycast.Site.Model;

/// <summary>
/// An OS image package (or any package whose content is one image file), with the multicast options of its
/// Distribution Settings tab in Configuration Manager's words.
/// </summary>
/// <param name="Id">The package ID, for example <c>DC100001</c>; made by the site, compared without regard to case.</param>
/// <param name="Name">A display name, 1 to 256 characters.</param>
/// <param name="Description">Free text, or null.</param>
/// <param name="ImageType">What the content is, which decides how the agent applies it.</param>
/// <param name="LatestVersion">The newest version (the package's source version), from 1.</param>
/// <param name="AllowMulticast">"Allow this package to be transferred via multicast".</param>
/// <param name="EncryptMulticast">"Encrypt multicast packages".</param>
/// <param name="MulticastOnly">"Transfer this package only via multicast" (no unicast download).</param>
/// <param name="Created">When the package was made.</param>
/// <param name="Modified">When its properties or content last changed.</param>
public sealed record Package(
    string Id,
    string Name,
    string? Description,
    ImageType ImageType,
    int LatestVersion,
    bool AllowMulticast,
    bool EncryptMulticast,
    bool MulticastOnly,
    DateTimeOffset Created,
    DateTimeOffset Modified);

/// <summary>How the agent applies a package's content.</summary>
public enum ImageType
{
    /// <summary>A Windows imaging (WIM) file; an apply step names an image index.</summary>
    Wim,

    /// <summary>A raw disk or partition image, written to a block device or file; zero extents stay sparse.</summary>
    Raw,

    /// <summary>Any other file, placed at a path.</summary>
    File,
}

/// <summary>One version of a package's content: the file imported into the content library for it.</summary>
/// <param name="PackageId">The package.</param>
/// <param name="Version">From 1; each content update makes the next.</param>
/// <param name="ContentId">The content's SHA-256 (64 lowercase hex characters), its id in the content library.</param>
/// <param name="Size">Bytes.</param>
/// <param name="SourcePath">The file it was imported from.</param>
/// <param name="ImageCount">For a WIM, how many images it holds; null when unknown or not a WIM.</param>
/// <param name="Created">When the version was imported.</param>
public sealed record PackageVersion(
    string PackageId,
    int Version,
    string ContentId,
    long Size,
    string SourcePath,
    int? ImageCount,
    DateTimeOffset Created);
