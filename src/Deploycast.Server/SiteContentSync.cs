using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Deploycast.Client;
using Deploycast.Content.Library;
using Deploycast.DistributionPoint.Hosting;
using Deploycast.DistributionPoint.Storage;
using Deploycast.Site.Management;
using Deploycast.Site.Model;
using Microsoft.Extensions.Logging;

namespace Deploycast.Server;

/// <summary>
/// A registered distribution point's side of content distribution. It polls the site with its credential
/// (<c>POST /api/v1/distribution-points/poll</c>), which is also its heartbeat: it reports its multicast settings and
/// health, and the state of each package version assigned to it. For each assigned version it does not hold, it
/// downloads the content from the site's own DP by HTTPS range requests (resumable: a download interrupted by a restart
/// goes on from its block map), checks every block and the whole file against the site-signed manifest, and imports it
/// with that manifest and signature unchanged. Versions the site no longer assigns are removed.
/// </summary>
public sealed partial class SiteContentSync
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new EnumNameConverter() } };

    private readonly SiteRegistrationOptions _options;
    private readonly DistributionPointRole _role;
    private readonly string _workDirectory;
    private readonly string _credential;
    private readonly string? _siteKeyFingerprint;
    private readonly ILogger _logger;

    // What this DP reports for each assigned version, by "PACKAGE/version"; failures are kept until the site assigns again.
    private readonly ConcurrentDictionary<string, DistributionContentReport> _reports = new(StringComparer.Ordinal);

    // Versions whose failure the site holds: not fetched again until the site assigns them again (state InProgress).
    private readonly ConcurrentDictionary<string, bool> _failed = new(StringComparer.Ordinal);

    public SiteContentSync(SiteRegistrationOptions options, string credential, string? siteKeyFingerprint, DistributionPointRole role, string workDirectory, ILogger<SiteContentSync> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(credential);
        _options = options;
        _role = role;
        _workDirectory = workDirectory;
        _credential = credential;
        _siteKeyFingerprint = siteKeyFingerprint;
        _logger = logger;
    }

    /// <summary>When the last poll reached the site, for display.</summary>
    public DateTimeOffset? LastPoll { get; private set; }

    /// <summary>Polls until cancelled; a poll that fails is logged and tried again after the interval.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(60);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var (assignments, changed) = await PollOnceAsync(cancellationToken).ConfigureAwait(false);
                interval = TimeSpan.FromSeconds(Math.Clamp(assignments.PollSeconds, 1, 3600));
                if (changed)
                {
                    // Report what changed at once rather than one interval later.
                    continue;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or DistributionPointException or SiteRegistrationException or JsonException or TaskCanceledException)
            {
                SyncLog.PollFailed(_logger, _options.Site, e.Message);
            }

            try
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// One poll: reports, gets the assignments, removes what is no longer assigned and fetches what is missing. Returns
    /// the assignments and whether any state changed (so the caller reports again at once).
    /// </summary>
    public async Task<(DistributionAssignments Assignments, bool Changed)> PollOnceAsync(CancellationToken cancellationToken)
    {
        var assignments = await ReportAsync(cancellationToken).ConfigureAwait(false);
        LastPoll = DateTimeOffset.UtcNow;
        var changed = false;
        var assigned = assignments.Content.ToDictionary(a => Key(a.PackageId, a.Version), StringComparer.Ordinal);
        foreach (var held in _role.ListDistributedPackages())
        {
            if (!assigned.ContainsKey(Key(held.PackageId, held.Version)))
            {
                _role.RemovePackage(held.PackageId, held.Version);
                SyncLog.Removed(_logger, held.PackageId, held.Version);
            }
        }

        foreach (var key in _reports.Keys.Where(k => !assigned.ContainsKey(k)).ToList())
        {
            _reports.TryRemove(key, out _);
        }

        RemoveStaleDownloads(assignments.Content);

        foreach (var assignment in assignments.Content)
        {
            var key = Key(assignment.PackageId, assignment.Version);
            _reports.TryGetValue(key, out var before);
            if (assignment.State == DistributionState.Failed && !IsHeld(assignment))
            {
                // The site holds the failure this DP reported (or one from before a restart, when nothing was reported
                // yet): stop reporting it and wait until an administrator distributes the package again.
                _reports.TryRemove(key, out _);
                _failed[key] = true;

                continue;
            }

            _failed.TryRemove(key, out _);
            var report = await EnsureAsync(assignment, cancellationToken).ConfigureAwait(false);
            if (before != report)
            {
                changed = true;
            }

            _reports[key] = report;
        }

        return (assignments, changed);
    }

    private async Task<DistributionAssignments> ReportAsync(CancellationToken cancellationToken)
    {
        using var http = SiteRegistration.SiteHttp(_options.Site, _options.SiteFingerprint, _credential, TimeSpan.FromSeconds(30));
        var report = new DistributionPointReport(Health(), _reports.Values.ToList());
        using var response = await http.PostAsJsonAsync("api/v1/distribution-points/poll", report, Json, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new SiteRegistrationException($"the site refused the poll ({(int)response.StatusCode}): {text}");
        }

        return JsonSerializer.Deserialize<DistributionAssignments>(text, Json)
            ?? throw new SiteRegistrationException("the site answered the poll with nothing");
    }

    private bool IsHeld(DistributionAssignment assignment) =>
        _role.GetPackage(assignment.PackageId, assignment.Version) is { } held && held.ContentId == assignment.ContentId
        && _role.Library.Get(held.ContentId) is { } item && _role.Library.IsServable(item);

    /// <summary>Makes sure the DP holds the assigned version; returns what to report about it.</summary>
    private async Task<DistributionContentReport> EnsureAsync(DistributionAssignment assignment, CancellationToken cancellationToken)
    {
        if (IsHeld(assignment) && _role.GetPackage(assignment.PackageId, assignment.Version) is { } held)
        {
            if (held.AllowMulticast != (assignment.AllowMulticast || assignment.MulticastOnly) || held.EncryptMulticast != assignment.EncryptMulticast || held.MulticastOnly != assignment.MulticastOnly)
            {
                _role.SetPackageOptions(held.PackageId, held.Version, assignment.AllowMulticast, assignment.EncryptMulticast, assignment.MulticastOnly);
            }

            return Installed(assignment);
        }

        try
        {
            await FetchAsync(assignment, cancellationToken).ConfigureAwait(false);
            return Installed(assignment);
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or IOException or HttpRequestException
            or DistributionPointException or ContentImportException or UnauthorizedAccessException)
        {
            SyncLog.FetchFailed(_logger, assignment.PackageId, assignment.Version, e.Message);
            return new DistributionContentReport(assignment.PackageId, assignment.Version, assignment.ContentId, DistributionState.Failed, e.Message);
        }
    }

    private async Task FetchAsync(DistributionAssignment assignment, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_workDirectory);

        var path = Path.Combine(_workDirectory, DownloadName(assignment));
        SyncLog.Fetching(_logger, assignment.PackageId, assignment.Version, assignment.Size, _options.Site);
        var started = TimeProvider.System.GetTimestamp();
        using var client = new DistributionPointClient(_options.Site, _options.SiteFingerprint, _credential);
        var downloader = new PackageDownloader(client, new DownloadOptions
        {
            ClientId = _options.DistributionPointId,
            Multicast = false,
            SiteKeyFingerprint = _siteKeyFingerprint,
        });
        await downloader.DownloadAsync(assignment.PackageId, assignment.Version, path, progress: null, cancellationToken).ConfigureAwait(false);
        var (manifest, signature) = await client.GetManifestAsync(
            $"/api/v1/dp/content/{Uri.EscapeDataString(assignment.PackageId)}/{assignment.Version}/manifest", cancellationToken).ConfigureAwait(false);
        try
        {
            await _role.AddDistributedPackageAsync(
                new DistributionPointPackage(assignment.PackageId, assignment.Version, assignment.Name, assignment.ContentId, assignment.Size,
                    assignment.AllowMulticast, assignment.EncryptMulticast, assignment.MulticastOnly, DateTimeOffset.UtcNow),
                path, manifest, signature, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(path);
        }

        var seconds = TimeProvider.System.GetElapsedTime(started).TotalSeconds;
        SyncLog.Fetched(_logger, assignment.PackageId, assignment.Version, assignment.Size, seconds, assignment.Size / 1e6 / Math.Max(seconds, 1e-6));
    }

    /// <summary>Deletes partial downloads (and their block maps) of content no longer assigned, which would never resume.</summary>
    private void RemoveStaleDownloads(IReadOnlyList<DistributionAssignment> assignments)
    {
        if (!Directory.Exists(_workDirectory))
        {
            return;
        }

        var wanted = assignments.Select(DownloadName).ToList();
        foreach (var file in Directory.EnumerateFiles(_workDirectory))
        {
            var name = Path.GetFileName(file);
            if (!wanted.Any(w => name.StartsWith(w, StringComparison.Ordinal)))
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>Named by the content, so a restarted download resumes from its block map, and new content starts afresh.</summary>
    private static string DownloadName(DistributionAssignment assignment) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{assignment.PackageId.ToUpperInvariant()}-{assignment.Version}-{assignment.ContentId[..16]}.part");

    private DistributionPointHealth Health()
    {
        var settings = _role.Settings;
        var unservable = _role.Library.List().Count(i => i.State != ContentState.Valid);
        return new DistributionPointHealth(
            settings.Enabled,
            settings.Interface,
            $"{settings.AddressRangeStart}-{settings.AddressRangeEnd}",
            $"{settings.PortRangeStart}-{settings.PortRangeEnd}",
            _role.Scheduler.GetSessions().Count,
            _role.ListPackages().Count,
            unservable);
    }

    private static DistributionContentReport Installed(DistributionAssignment assignment) =>
        new(assignment.PackageId, assignment.Version, assignment.ContentId, DistributionState.Installed, null);

    private static string Key(string packageId, int version) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{packageId.ToUpperInvariant()}/{version}");

    private static partial class SyncLog
    {
        [LoggerMessage(EventId = 5300, Level = LogLevel.Warning, Message = "Polling the site {Site} failed: {Reason}")]
        public static partial void PollFailed(ILogger logger, Uri site, string reason);

        [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "Fetching package {PackageId} version {Version} ({Size} bytes) from the site {Site}")]
        public static partial void Fetching(ILogger logger, string packageId, int version, long size, Uri site);

        [LoggerMessage(EventId = 5302, Level = LogLevel.Information, Message = "Package {PackageId} version {Version} installed: {Size} bytes in {Seconds:0.0} s ({MegabytesPerSecond:0} MB/s)")]
        public static partial void Fetched(ILogger logger, string packageId, int version, long size, double seconds, double megabytesPerSecond);

        [LoggerMessage(EventId = 5303, Level = LogLevel.Warning, Message = "Package {PackageId} version {Version} could not be distributed here: {Reason}")]
        public static partial void FetchFailed(ILogger logger, string packageId, int version, string reason);

        [LoggerMessage(EventId = 5304, Level = LogLevel.Information, Message = "Package {PackageId} version {Version} removed: the site no longer assigns it to this distribution point")]
        public static partial void Removed(ILogger logger, string packageId, int version);
    }
}
