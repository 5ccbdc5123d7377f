using Deploycast.Content.Library;
using Deploycast.Content.Signing;
using Deploycast.DistributionPoint.Sessions;
using Deploycast.DistributionPoint.Settings;
using Deploycast.DistributionPoint.Status;
using Deploycast.DistributionPoint.Storage;
using Microsoft.Extensions.Logging;

namespace Deploycast.DistributionPoint.Hosting;

/// <summary>
/// The distribution point: its multicast settings, the package versions it holds, its content library and its
/// session scheduler. The HTTP endpoints are a thin layer over this.
/// </summary>
public sealed partial class DistributionPointRole : IDistributionPointStatusSink, IDisposable
{
    private readonly IDistributionPointStore _store;
    private readonly ILogger<DistributionPointRole> _logger;
    private readonly TimeProvider _time;
    private readonly Lock _settingsLock = new();
    private MulticastSettings _settings;

    public DistributionPointRole(
        IDistributionPointStore store,
        ContentLibrary library,
        SiteKey siteKey,
        Func<DistributionPointRole, SessionScheduler> schedulerFactory,
        TimeProvider time,
        ILogger<DistributionPointRole> logger)
    {
        ArgumentNullException.ThrowIfNull(schedulerFactory);
        _store = store;
        Library = library;
        SiteKey = siteKey;
        _time = time;
        _logger = logger;
        _settings = store.LoadSettings() ?? MulticastSettings.Default;
        var errors = _settings.Validate();
        if (errors.Count > 0)
        {
            // A stored setting that this version no longer accepts: stop with its name rather than run on a guess.
            throw new MulticastSettingsException(errors);
        }

        Scheduler = schedulerFactory(this);
        if (store.GetSecret(SiteKeySecret) is { } stored)
        {
            TrustSiteKey(Convert.FromBase64String(stored));
        }
    }

    /// <summary>Secret under which a registered DP keeps its site's public key (base64 SubjectPublicKeyInfo).</summary>
    private const string SiteKeySecret = "site-public-key";

    private byte[]? _siteKeySpki;

    /// <summary>
    /// The public key (DER SubjectPublicKeyInfo) this DP publishes for checking manifests: its site's key once it has
    /// registered with a site (content distributed by the site carries the site's signature), else its own key.
    /// </summary>
    public byte[] PublishedKeySpki => _siteKeySpki is { } site ? (byte[])site.Clone() : SiteKey.PublicKeySpki;

    /// <summary>Lowercase hex SHA-256 of <see cref="PublishedKeySpki"/>.</summary>
    public string PublishedKeyFingerprint => _siteKeySpki is { } site ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(site)) : SiteKey.Fingerprint;

    /// <summary>
    /// Makes this DP trust and publish its site's manifest-signing key (a DP that registered with a site), and keeps it
    /// for the next start, so content the site distributed stays servable before the DP reaches the site again.
    /// </summary>
    public void TrustSiteKey(byte[] publicKeySpki)
    {
        ArgumentNullException.ThrowIfNull(publicKeySpki);
        Library.TrustKey(publicKeySpki);
        _siteKeySpki = (byte[])publicKeySpki.Clone();
        _store.SetSecret(SiteKeySecret, Convert.ToBase64String(publicKeySpki));
    }

    public ContentLibrary Library { get; }

    public SiteKey SiteKey { get; }

    public SessionScheduler Scheduler { get; }

    /// <summary>The settings in force; sessions read them at every decision.</summary>
    public MulticastSettings Settings
    {
        get
        {
            lock (_settingsLock)
            {
                return _settings;
            }
        }
    }

    /// <summary>Raised after each status message is recorded (the event stream forwards them).</summary>
    public event Action<DistributionPointStatus>? StatusRecorded;

    /// <summary>
    /// The settings in force and their entity tag (a quoted hash of their JSON form), read together: an administrator
    /// who changes them sends the tag back (<c>If-Match</c>) so a change made in between is not overwritten.
    /// </summary>
    public (MulticastSettings Settings, string ETag) SettingsWithETag
    {
        get
        {
            lock (_settingsLock)
            {
                return (_settings, ETagOf(_settings));
            }
        }
    }

    /// <summary>Validates and applies new settings; returns the errors (each naming its setting) and changes nothing if there are any.</summary>
    public IReadOnlyList<SettingError> UpdateSettings(MulticastSettings settings) => UpdateSettings(settings, ifMatch: null, out _);

    /// <summary>
    /// As <see cref="UpdateSettings(MulticastSettings)"/>, only when the settings in force still have the entity tag
    /// <paramref name="ifMatch"/> (null or <c>*</c>: any); otherwise nothing changes and <paramref name="stale"/> is true.
    /// The check and the change happen under one lock, so of two administrators who read the same settings one wins.
    /// </summary>
    public IReadOnlyList<SettingError> UpdateSettings(MulticastSettings settings, string? ifMatch, out bool stale)
    {
        ArgumentNullException.ThrowIfNull(settings);
        stale = false;
        var errors = settings.Validate();
        if (errors.Count > 0)
        {
            return errors;
        }

        lock (_settingsLock)
        {
            if (ifMatch is not null && ifMatch.Trim() != "*"
                && !ifMatch.Split(',').Select(t => t.Trim()).Contains(ETagOf(_settings), StringComparer.Ordinal))
            {
                stale = true;
                return [];
            }

            _store.SaveSettings(settings);
            _settings = settings;
        }

        Record(new DistributionPointStatus(_time.GetUtcNow(), "Informational", DistributionPointMessages.SettingsChanged, "DistributionPoint",
            $"Multicast settings changed: multicast {(settings.Enabled ? "enabled" : "disabled")}, addresses {settings.AddressRangeStart}-{settings.AddressRangeEnd}, ports {settings.PortRangeStart}-{settings.PortRangeEnd}, {(settings.ScheduledMulticast ? "scheduled-cast" : "auto-cast")}, slow-client policy {settings.SlowClientPolicy}.", null, null));
        return [];
    }

    public IReadOnlyList<DistributionPointPackage> ListPackages() => _store.ListPackages();

    private static string ETagOf(MulticastSettings settings)
    {
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(settings);
        return $"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(json))[..32]}\"";
    }

    public DistributionPointPackage? GetPackage(string packageId, int version) => _store.GetPackage(packageId, version);

    /// <summary>Imports <paramref name="sourcePath"/> into the content library and records it as the package version.</summary>
    public async Task<DistributionPointPackage> AddPackageAsync(
        string packageId, int version, string? name, string sourcePath, bool allowMulticast, bool encryptMulticast, bool multicastOnly,
        IProgress<ImportProgress>? progress, CancellationToken cancellationToken)
    {
        var item = await Library.ImportAsync(sourcePath, progress, cancellationToken).ConfigureAwait(false);
        var package = new DistributionPointPackage(packageId, version, name ?? packageId, item.ContentId, item.Size,
            allowMulticast || multicastOnly, encryptMulticast, multicastOnly, _time.GetUtcNow());
        _store.SavePackage(package);
        Record(new DistributionPointStatus(_time.GetUtcNow(), "Informational", DistributionPointMessages.PackageAdded, "DistributionPoint",
            $"Package {packageId} version {version} added: content {item.ContentId}, {item.Size:N0} bytes ({item.ZeroBytes:N0} in all-zero blocks, never sent).", null, null));
        return package;
    }

    /// <summary>
    /// Records content the site distributed to this DP: <paramref name="dataPath"/> is imported into the content library
    /// with the site's signed manifest, unchanged (<see cref="ContentLibrary.ImportSignedAsync"/>), and the package
    /// version is recorded with the site's options. A file that is not what the signed manifest describes is refused.
    /// </summary>
    /// <exception cref="ContentImportException">The signature does not verify, or the file does not match the manifest.</exception>
    public async Task<DistributionPointPackage> AddDistributedPackageAsync(
        DistributionPointPackage package, string dataPath, byte[] manifestBytes, byte[] signature, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(package);
        var item = await Library.ImportSignedAsync(dataPath, manifestBytes, signature, progress: null, cancellationToken).ConfigureAwait(false);
        if (item.ContentId != package.ContentId)
        {
            throw new ContentImportException(dataPath, $"The content distributed for package {package.PackageId} version {package.Version} is {item.ContentId}, not {package.ContentId} as the site says.");
        }

        package = package with { Size = item.Size, AllowMulticast = package.AllowMulticast || package.MulticastOnly, Added = _time.GetUtcNow() };
        lock (_settingsLock)
        {
            _store.SavePackage(package);
            var distributed = DistributedKeys();
            distributed.Add(DistributedKey(package.PackageId, package.Version));
            _store.SetSecret(DistributedSecret, string.Join('\n', distributed.Order(StringComparer.Ordinal)));
        }

        Record(new DistributionPointStatus(_time.GetUtcNow(), "Informational", DistributionPointMessages.PackageAdded, "DistributionPoint",
            $"Package {package.PackageId} version {package.Version} distributed by the site: content {item.ContentId}, {item.Size:N0} bytes, manifest signed by the site key.", null, null));
        return package;
    }

    /// <summary>
    /// Removes a package version from this DP, and its content from the library when no other version uses it. Sessions
    /// already running keep their open file.
    /// </summary>
    public bool RemovePackage(string packageId, int version)
    {
        var package = _store.GetPackage(packageId, version);
        if (package is null || !_store.DeletePackage(package.PackageId, package.Version))
        {
            return false;
        }

        lock (_settingsLock)
        {
            var distributed = DistributedKeys();
            if (distributed.Remove(DistributedKey(package.PackageId, package.Version)))
            {
                _store.SetSecret(DistributedSecret, string.Join('\n', distributed.Order(StringComparer.Ordinal)));
            }
        }

        if (!_store.ListPackages().Any(p => p.ContentId == package.ContentId))
        {
            Library.Delete(package.ContentId);
        }

        Record(new DistributionPointStatus(_time.GetUtcNow(), "Informational", DistributionPointMessages.PackageRemoved, "DistributionPoint",
            $"Package {package.PackageId} version {package.Version} removed from this distribution point.", null, null));
        return true;
    }

    /// <summary>The package versions this DP holds because its site distributed them (not those added to it directly).</summary>
    public IReadOnlyList<DistributionPointPackage> ListDistributedPackages()
    {
        HashSet<string> distributed;
        lock (_settingsLock)
        {
            distributed = DistributedKeys();
        }

        return _store.ListPackages().Where(p => distributed.Contains(DistributedKey(p.PackageId, p.Version))).ToList();
    }

    /// <summary>Secret listing the site-distributed package versions, one "PACKAGE/version" a line.</summary>
    private const string DistributedSecret = "site-distributed";

    private HashSet<string> DistributedKeys() =>
        new((_store.GetSecret(DistributedSecret) ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);

    private static string DistributedKey(string packageId, int version) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{packageId.ToUpperInvariant()}/{version}");

    /// <summary>Changes a package version's multicast options.</summary>
    public DistributionPointPackage? SetPackageOptions(string packageId, int version, bool? allowMulticast, bool? encryptMulticast, bool? multicastOnly)
    {
        var package = _store.GetPackage(packageId, version);
        if (package is null)
        {
            return null;
        }

        var only = multicastOnly ?? package.MulticastOnly;
        package = package with
        {
            AllowMulticast = (allowMulticast ?? package.AllowMulticast) || only,
            EncryptMulticast = encryptMulticast ?? package.EncryptMulticast,
            MulticastOnly = only,
        };
        _store.SavePackage(package);
        return package;
    }

    /// <summary>
    /// Asks the scheduler for a session for one client. <paramref name="item"/> is the package's content as loaded for
    /// the servability check (its manifest and signature were read from disk), so callers need not load it again.
    /// </summary>
    public SessionDecision RequestSession(string clientId, DistributionPointPackage package, out ContentItem? item)
    {
        ArgumentNullException.ThrowIfNull(package);
        item = Library.Get(package.ContentId);
        if (item is null || !Library.IsServable(item))
        {
            // Corrupt content is never served, by multicast or otherwise; the administrator sees why in validation.
            return new SessionDecision
            {
                Kind = SessionDecisionKind.Refused,
                Reason = $"The content of package {package.PackageId} version {package.Version} is {(item is null ? "missing from the content library" : $"{item.State.ToString().ToLowerInvariant()} or changed since it was validated")}; it is not served until content validation finds it good.",
            };
        }

        return Scheduler.Request(new SessionRequest(clientId, ToContentRef(package)));
    }

    public static PackageContentRef ToContentRef(DistributionPointPackage package)
    {
        ArgumentNullException.ThrowIfNull(package);
        return new(package.PackageId, package.Version, package.ContentId, package.Size, package.AllowMulticast, package.EncryptMulticast, package.MulticastOnly);
    }

    /// <summary>Validates every stored content version against its signed manifest and records what is corrupt.</summary>
    public async Task<ValidationReport> ValidateContentAsync(IProgress<ImportProgress>? progress, CancellationToken cancellationToken)
    {
        var report = await Library.ValidateAsync(progress, cancellationToken).ConfigureAwait(false);
        foreach (var item in report.Items)
        {
            var good = item.State == ContentState.Valid;
            Record(new DistributionPointStatus(_time.GetUtcNow(), good ? "Informational" : "Error",
                good ? DistributionPointMessages.ContentValid : DistributionPointMessages.ContentCorrupt, "ContentLibrary",
                good ? $"Content {item.ContentId} is valid." : $"Content {item.ContentId} failed validation ({item.State}): {item.Message} It is not served until a validation finds it good.",
                null, null));
        }

        return report;
    }

    public IReadOnlyList<DistributionPointStatus> RecentStatus(int limit) => _store.RecentStatus(limit);

    public void Record(DistributionPointStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        try
        {
            _store.AddStatus(status);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            // A status message must never take a session down with it; the log still has it.
            DistributionPointLog.StatusNotStored(_logger, e);
        }

        DistributionPointLog.Status(_logger, status.MessageId, status.Severity, status.Description);
        StatusRecorded?.Invoke(status);
    }

    public void Dispose() => Scheduler.Dispose();
}

/// <summary>Status message ids of the distribution point role itself (the scheduler's are in its own class).</summary>
public static class DistributionPointMessages
{
    public const int SettingsChanged = 3100;
    public const int PackageAdded = 3101;
    public const int ContentValid = 3102;
    public const int ContentCorrupt = 3103;
    public const int Started = 3104;
    public const int PackageRemoved = 3105;
}

internal static partial class DistributionPointLog
{
    [LoggerMessage(3150, LogLevel.Debug, "Status {MessageId} ({Severity}): {Description}")]
    public static partial void Status(ILogger logger, int messageId, string severity, string description);

    [LoggerMessage(3151, LogLevel.Warning, "A status message could not be stored")]
    public static partial void StatusNotStored(ILogger logger, Exception exception);

    [LoggerMessage(3152, LogLevel.Error, "The session scheduler's heartbeat failed")]
    public static partial void HeartbeatFailed(ILogger logger, Exception exception);
}
