using Deploycast.Site.Model;
using Deploycast.Site.Storage;

namespace Deploycast.Site.Management;

public sealed partial class SiteManager
{
    private static readonly byte[] WimMagic = "MSWIM\0\0\0"u8.ToArray();

    /// <summary>Imports an image file as a new package (version 1) and distributes it to the site's DP.</summary>
    public async Task<Package> ImportPackageAsync(PackageImport request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new ValidationErrors();
        var name = errors.Name("name", request.Name);
        var description = errors.Description("description", request.Description);
        CheckSource(request.SourcePath, errors);
        CheckOptions(request.AllowMulticast ?? true, request.EncryptMulticast ?? false, request.MulticastOnly ?? false, errors);
        if (request.ImageType is { } given && !Enum.IsDefined(given))
        {
            errors.Add("imageType", $"Unknown image type; the types are {string.Join(", ", Enum.GetNames<ImageType>())}.");
        }

        errors.ThrowIfAny();
        var distributor = RequireDistributor();
        var imageType = request.ImageType ?? DetectImageType(request.SourcePath!);
        var id = Identifiers.Package(await _store.NextNumberAsync(Identifiers.PackageCounter, cancellationToken).ConfigureAwait(false));
        var options = new PackageMulticastOptions(request.AllowMulticast ?? true, request.EncryptMulticast ?? false, request.MulticastOnly ?? false);
        var content = await distributor.ImportAsync(new ContentImportRequest(id, 1, name!, request.SourcePath!, options), cancellationToken).ConfigureAwait(false);
        var now = Now;
        var package = new Package(id, name!, description, imageType, 1, options.AllowMulticast, options.EncryptMulticast, options.MulticastOnly, now, now);
        await _store.AddPackageAsync(package, cancellationToken).ConfigureAwait(false);
        await _store.AddPackageVersionAsync(NewVersion(package, 1, content, request.SourcePath!, now), cancellationToken).ConfigureAwait(false);
        await _store.SaveDistributionStatusAsync(new DistributionStatus(id, 1, distributor.DistributionPointId, DistributionState.Installed, null, now), cancellationToken).ConfigureAwait(false);
        SiteLog.PackageImported(_logger, id, package.Name, content.Size);
        return package;
    }

    /// <summary>Imports a new file as the package's next version ("update distribution points").</summary>
    public async Task<PackageVersion> UpdatePackageContentAsync(string packageId, string? sourcePath, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        CheckSource(sourcePath, errors);
        errors.ThrowIfAny();
        var package = await RequirePackageAsync(packageId, cancellationToken).ConfigureAwait(false);
        var distributor = RequireDistributor();
        var version = package.LatestVersion + 1;
        var content = await distributor.ImportAsync(
            new ContentImportRequest(package.Id, version, package.Name, sourcePath!, OptionsOf(package)), cancellationToken).ConfigureAwait(false);
        var now = Now;
        var added = NewVersion(package, version, content, sourcePath!, now);
        await _store.AddPackageVersionAsync(added, cancellationToken).ConfigureAwait(false);
        await _store.UpdatePackageAsync(package with { LatestVersion = version, Modified = now }, cancellationToken).ConfigureAwait(false);
        await _store.SaveDistributionStatusAsync(new DistributionStatus(package.Id, version, distributor.DistributionPointId, DistributionState.Installed, null, now), cancellationToken).ConfigureAwait(false);
        await AssignNewVersionAsync(package.Id, version, cancellationToken).ConfigureAwait(false);
        return added;
    }

    /// <summary>Changes a package's name, description or multicast options; null leaves a property as it is.</summary>
    public async Task<Package> SetPackageAsync(string packageId, PackageChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var package = await RequirePackageAsync(packageId, cancellationToken).ConfigureAwait(false);
        var errors = new ValidationErrors();
        var name = change.Name is null ? package.Name : errors.Name("name", change.Name);
        var description = change.Description is null ? package.Description : errors.Description("description", change.Description);
        var updated = package with
        {
            Name = name ?? package.Name,
            Description = description,
            AllowMulticast = change.AllowMulticast ?? package.AllowMulticast,
            EncryptMulticast = change.EncryptMulticast ?? package.EncryptMulticast,
            MulticastOnly = change.MulticastOnly ?? package.MulticastOnly,
            Modified = Now,
        };
        CheckOptions(updated.AllowMulticast, updated.EncryptMulticast, updated.MulticastOnly, errors);
        errors.ThrowIfAny();
        if (updated.MulticastOnly && !package.MulticastOnly)
        {
            await RefuseMulticastOnlyWithOtherContentOptionsAsync(package.Id, cancellationToken).ConfigureAwait(false);
        }

        await _store.UpdatePackageAsync(updated, cancellationToken).ConfigureAwait(false);
        if (_distributor is not null && OptionsOf(updated) != OptionsOf(package))
        {
            foreach (var version in await _store.ListPackageVersionsAsync(package.Id, cancellationToken).ConfigureAwait(false))
            {
                await _distributor.UpdateOptionsAsync(package.Id, version.Version, OptionsOf(updated), cancellationToken).ConfigureAwait(false);
            }
        }

        return updated;
    }

    /// <summary>
    /// "Transfer this package only via multicast" serves only deployments that download content locally when needed, as
    /// a new deployment of such a package is refused with another content option: turning it on is refused (409, naming
    /// <c>multicastOnly</c> and the deployments) while a deployment of the package uses another option.
    /// </summary>
    private async Task RefuseMulticastOnlyWithOtherContentOptionsAsync(string packageId, CancellationToken cancellationToken)
    {
        var clashing = new List<string>();
        var sequences = new Dictionary<string, TaskSequence?>(StringComparer.OrdinalIgnoreCase);
        foreach (var deployment in (await _store.ListDeploymentsAsync(Page.All, cancellationToken).ConfigureAwait(false)).Items)
        {
            if (deployment.ContentOption == ContentOption.DownloadLocallyWhenNeeded)
            {
                continue;
            }

            if (!sequences.TryGetValue(deployment.TaskSequenceId, out var sequence))
            {
                sequences[deployment.TaskSequenceId] = sequence = await _store.GetTaskSequenceAsync(deployment.TaskSequenceId, cancellationToken).ConfigureAwait(false);
            }

            if (sequence is not null && PackageIdsOf(sequence.Steps).Contains(packageId, StringComparer.OrdinalIgnoreCase))
            {
                clashing.Add($"{deployment.Id} ({deployment.ContentOption})");
            }
        }

        if (clashing.Count > 0)
        {
            throw new SiteConflictException(
                $"multicastOnly: package {packageId} cannot be set to 'Transfer this package only via multicast' while deployments use it with another content option than 'download content locally when needed': {string.Join(", ", clashing)}. Change or delete those deployments first.",
                "multicastOnly");
        }
    }

    public async Task<Package> GetPackageAsync(string packageId, CancellationToken cancellationToken) =>
        await RequirePackageAsync(packageId, cancellationToken).ConfigureAwait(false);

    public Task<PagedResult<Package>> ListPackagesAsync(Page page, CancellationToken cancellationToken) => _store.ListPackagesAsync(page, cancellationToken);

    /// <summary>A package with its versions and where each is distributed.</summary>
    public async Task<PackageDetails> GetPackageDetailsAsync(string packageId, CancellationToken cancellationToken)
    {
        var package = await RequirePackageAsync(packageId, cancellationToken).ConfigureAwait(false);
        var versions = await _store.ListPackageVersionsAsync(package.Id, cancellationToken).ConfigureAwait(false);
        var status = await _store.ListDistributionStatusAsync(package.Id, cancellationToken).ConfigureAwait(false);
        return new PackageDetails(package, versions, status);
    }

    private async Task<Package> RequirePackageAsync(string packageId, CancellationToken cancellationToken) =>
        await _store.GetPackageAsync(packageId, cancellationToken).ConfigureAwait(false)
        ?? throw new SiteNotFoundException($"There is no package '{packageId}'.");

    private IContentDistributor RequireDistributor() =>
        _distributor ?? throw new SiteConflictException("This site server has no distribution point role to hold content.");

    private PackageVersion NewVersion(Package package, int version, DistributedContent content, string sourcePath, DateTimeOffset now) =>
        new(package.Id, version, content.ContentId, content.Size, Path.GetFullPath(sourcePath),
            package.ImageType == ImageType.Wim ? _inspector?.CountWimImages(sourcePath) : null, now);

    private static PackageMulticastOptions OptionsOf(Package package) => new(package.AllowMulticast, package.EncryptMulticast, package.MulticastOnly);

    private static void CheckSource(string? sourcePath, ValidationErrors errors)
    {
        if (string.IsNullOrWhiteSpace(sourcePath))
        {
            errors.Add("sourcePath", "sourcePath is required: the image file to import, as a path on the site server.");
        }
        else if (!Path.IsPathFullyQualified(sourcePath))
        {
            errors.Add("sourcePath", $"sourcePath must be an absolute path on the site server; '{sourcePath}' is relative.");
        }
        else if (!File.Exists(sourcePath))
        {
            errors.Add("sourcePath", Directory.Exists(sourcePath)
                ? $"'{sourcePath}' is a directory; a package's content is one image file (capture a folder with wimcapture first)."
                : $"'{sourcePath}' does not exist on the site server.");
        }
    }

    private static void CheckOptions(bool allowMulticast, bool encryptMulticast, bool multicastOnly, ValidationErrors errors)
    {
        if (multicastOnly && !allowMulticast)
        {
            errors.Add("multicastOnly", "A package transferred only via multicast must also allow multicast.");
        }

        if (encryptMulticast && !allowMulticast)
        {
            errors.Add("encryptMulticast", "Encrypting multicast needs a package that allows multicast.");
        }
    }

    /// <summary>WIM by its magic bytes; raw for .img, .raw and .iso; any other file otherwise.</summary>
    internal static ImageType DetectImageType(string path)
    {
        Span<byte> head = stackalloc byte[8];
        using (var file = File.OpenRead(path))
        {
            if (file.ReadAtLeast(head, 8, throwOnEndOfStream: false) == 8 && head.SequenceEqual(WimMagic))
            {
                return ImageType.Wim;
            }
        }

        return Path.GetExtension(path).ToLowerInvariant() is ".img" or ".raw" or ".iso" ? ImageType.Raw : ImageType.File;
    }
}

/// <summary>An administrator's package import.</summary>
public sealed record PackageImport(
    string? Name,
    string? SourcePath,
    string? Description = null,
    ImageType? ImageType = null,
    bool? AllowMulticast = null,
    bool? EncryptMulticast = null,
    bool? MulticastOnly = null);

/// <summary>Changes to a package; null fields stay as they are.</summary>
public sealed record PackageChange(
    string? Name = null,
    string? Description = null,
    bool? AllowMulticast = null,
    bool? EncryptMulticast = null,
    bool? MulticastOnly = null);

/// <summary>A package, its versions and their distribution status.</summary>
public sealed record PackageDetails(Package Package, IReadOnlyList<PackageVersion> Versions, IReadOnlyList<DistributionStatus> Distribution);
