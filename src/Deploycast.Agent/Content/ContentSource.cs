using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Deploycast.Agent.Engine;
using Deploycast.Agent.Logging;
using Deploycast.Client;
using Deploycast.Site.Model;

namespace Deploycast.Agent.Content;

/// <summary>
/// Gets package content onto this computer as the deployment's content option and the package's multicast options
/// say (docs/agent.md, "Content and image apply"): from the first distribution point in the policy that answers with
/// the pinned certificate and the site's key, by multicast first where allowed, else, or after multicast failed or
/// disconnected this computer, by HTTP where allowed. Files go to <c>&lt;work directory&gt;/content/&lt;package&gt;-v&lt;version&gt;.&lt;wim|img|bin&gt;</c>;
/// a partial download (after a crash or cancellation) resumes from its <c>.dcmap</c> block map, and a file is returned
/// only after its whole-file SHA-256 equals the content id in the policy.
/// </summary>
public sealed class ContentSource : IContentSource
{
    private const string Component = "ContentAccess";

    private readonly AgentOptions _options;
    private readonly Func<string?> _credential;
    private readonly Func<string?> _siteKey;
    private readonly AgentLog? _log;
    private readonly ContentSourceOptions _settings;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <summary>Creates the content source.</summary>
    /// <param name="options">The agent's options: <see cref="AgentOptions.DeviceName"/> is the client id the DP sees,
    /// <see cref="AgentOptions.MulticastInterface"/> the interface multicast is received on.</param>
    /// <param name="credential">The device's credential (from registration), sent as the bearer token to each DP: the
    /// DP gives the session key and the content of an encrypted package only to devices it is deployed to. Asked for
    /// each download, so a credential renewed meanwhile is used.</param>
    /// <param name="siteKey">The site key of the current policy (<see cref="DevicePolicy.SiteKey"/>, base64
    /// SubjectPublicKeyInfo). A DP that publishes another key is not used, and every manifest must be signed by it.
    /// When it returns null (a policy without a site key), the key the DP publishes over its pinned TLS certificate is
    /// trusted and a warning is logged.</param>
    /// <param name="log">The agent log, or null.</param>
    /// <param name="settings">Waits and time; default <see cref="ContentSourceOptions.Default"/>.</param>
    public ContentSource(AgentOptions options, Func<string?> credential, Func<string?> siteKey, AgentLog? log = null, ContentSourceOptions? settings = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(siteKey);
        _options = options;
        _credential = credential;
        _siteKey = siteKey;
        _log = log;
        _settings = settings ?? ContentSourceOptions.Default;
    }

    /// <summary>The file a package version is downloaded to under <paramref name="workDirectory"/>:
    /// <c>content/&lt;package&gt;-v&lt;version&gt;</c> with <c>.wim</c>, <c>.img</c> or <c>.bin</c> by image type.</summary>
    public static string ContentPath(string workDirectory, PolicyContent content)
    {
        ArgumentException.ThrowIfNullOrEmpty(workDirectory);
        ArgumentNullException.ThrowIfNull(content);
        var extension = content.ImageType switch
        {
            ImageType.Wim => ".wim",
            ImageType.Raw => ".img",
            _ => ".bin",
        };
        var name = string.Create(CultureInfo.InvariantCulture, $"{SafeName(content.PackageId)}-v{content.Version}{extension}");
        return Path.Combine(Path.GetFullPath(workDirectory), "content", name);
    }

    /// <inheritdoc />
    public async Task<string> AcquireAsync(PolicyDeployment deployment, PolicyContent content, string workDirectory,
        IProgress<StepProgress>? progress, CancellationToken cancellationToken) =>
        (await AcquireWithResultAsync(deployment, content, workDirectory, progress, cancellationToken).ConfigureAwait(false)).Path;

    /// <summary>
    /// Downloads every content of <paramref name="deployment"/> (in policy order), for the content option "Download all
    /// content locally before starting task sequence": the engine calls it before the first step. Progress is over all
    /// the content by size. Throws <see cref="ContentUnavailableException"/> for the first content that cannot be had.
    /// </summary>
    public async Task PrepareAllAsync(PolicyDeployment deployment, string workDirectory, IProgress<StepProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var total = Math.Max(1, deployment.Content.Sum(c => Math.Max(c.Size, 1)));
        long before = 0;
        for (var i = 0; i < deployment.Content.Count; i++)
        {
            var content = deployment.Content[i];
            var size = Math.Max(content.Size, 1);
            var prefix = string.Create(CultureInfo.InvariantCulture, $"({i + 1} of {deployment.Content.Count}) ");
            var done = before;
            var scaled = progress is null ? null : new SyncProgress<StepProgress>(p =>
                progress.Report(new StepProgress((int)((done + (size * p.Percent / 100)) * 100 / total), prefix + p.Text)));
            await AcquireWithResultAsync(deployment, content, workDirectory, scaled, cancellationToken).ConfigureAwait(false);
            before += size;
        }

        progress?.Report(new StepProgress(100, string.Create(CultureInfo.InvariantCulture, $"All {deployment.Content.Count} content of deployment {deployment.DeploymentId} is downloaded and verified")));
    }

    /// <summary>Like <see cref="AcquireAsync"/>, and says how the content came: already here, or by which method with
    /// how many bytes each way.</summary>
    public async Task<ContentAcquisition> AcquireWithResultAsync(PolicyDeployment deployment, PolicyContent content, string workDirectory,
        IProgress<StepProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(content);
        ThrowIfNoContentId(content);
        var path = ContentPath(workDirectory, content);
        var gate = _locks.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await AcquireLockedAsync(deployment, content, path, progress, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<ContentAcquisition> AcquireLockedAsync(PolicyDeployment deployment, PolicyContent content, string path,
        IProgress<StepProgress>? progress, CancellationToken cancellationToken)
    {
        var id = deployment.DeploymentId;
        var started = _settings.Time.GetTimestamp();
        if (VerifiedCopy.IsMarked(path, content))
        {
            _log?.Info(Component, $"{TransferPlan.Describe(content)} is already downloaded and verified at {path}.", id);
            progress?.Report(new StepProgress(100, $"{content.PackageId} is already downloaded and verified"));
            return new ContentAcquisition(path, "already downloaded", 0, 0, TimeSpan.Zero);
        }

        // A complete file without its marker (a crash between the last write and the marker): hash it instead of
        // downloading again.
        if (await VerifiedCopy.CheckAndMarkAsync(path, content, HashProgress(content, progress), cancellationToken).ConfigureAwait(false))
        {
            _log?.Info(Component, $"{TransferPlan.Describe(content)} was already downloaded at {path}; its SHA-256 matches.", id);
            return new ContentAcquisition(path, "already downloaded", 0, 0, _settings.Time.GetElapsedTime(started));
        }

        var (plan, siteKeyFingerprint) = PlanOrThrow(deployment, content);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        VerifiedCopy.Unmark(path);
        var failures = new List<string>();
        await foreach (var candidate in DistributionPointsAsync(deployment, content, plan, siteKeyFingerprint, failures, cancellationToken).ConfigureAwait(false))
        {
            var (where, atDp) = (candidate.Where, candidate.Plan);
            using (var client = candidate.Client)
            {
                var way = atDp.Multicast ? (atDp.Unicast ? "multicast first, unicast fallback allowed" : "multicast only") : "unicast";
                _log?.Info(Component, $"Downloading {TransferPlan.Describe(content)}, {content.Size:N0} bytes, from {where} ({way}) to {path}.", id);
                var reporter = new DownloadProgressReporter(content.PackageId, progress, _settings.Time,
                    phase => _log?.Info(Component, $"{content.PackageId}: {phase}", id));
                var downloader = new PackageDownloader(client, new DownloadOptions
                {
                    ClientId = _options.DeviceName,
                    Interface = _options.MulticastInterface,
                    Multicast = atDp.Multicast,
                    AllowUnicast = atDp.Unicast,
                    MaxWait = _settings.MaxMulticastWait,
                    SiteKeyFingerprint = siteKeyFingerprint,
                });

                DownloadResult result;
                try
                {
                    result = await downloader.DownloadAsync(content.PackageId, content.Version, path, reporter, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    _log?.Warning(Component, $"Download of {content.PackageId} canceled at {reporter.Percent}%; it resumes from here next time.", id);
                    throw;
                }
                catch (Exception e) when (e is InvalidOperationException or DistributionPointException or HttpRequestException or IOException or TimeoutException or OperationCanceledException)
                {
                    // InvalidDataException (a block that fails the signed manifest) is an IOException: try the next DP.
                    failures.Add($"{where}: {e.Message}");
                    _log?.Warning(Component, $"Download of {content.PackageId} from {where} failed: {e.Message}", id);
                    continue;
                }

                foreach (var note in result.Notes)
                {
                    _log?.Info(Component, $"{content.PackageId}: {note}", id);
                }

                // The downloader checked every block against the signed manifest, so the file's SHA-256 is the manifest's
                // whole-file hash; that must be the content id in the policy, so a DP serving another version under the
                // same name cannot slip through. (The file is not read and hashed again: on a 20 GB image that would be
                // minutes of disk and CPU for nothing the block hashes did not already prove.)
                if (!string.Equals(result.ContentId, content.ContentId, StringComparison.OrdinalIgnoreCase)
                    || !await VerifiedCopy.MarkAsync(path, content, cancellationToken).ConfigureAwait(false))
                {
                    File.Delete(path);
                    failures.Add(OtherContent(content, where, "the file was deleted"));
                    _log?.Error(Component, failures[^1], id);
                    continue;
                }

                var elapsed = _settings.Time.GetElapsedTime(started);
                var resumed = content.Size - result.BytesByMulticast - result.BytesByUnicast;
                _log?.Info(Component, string.Create(CultureInfo.InvariantCulture,
                    $"Downloaded {content.PackageId} by {result.Method} in {elapsed.TotalSeconds:0.0} s: {result.BytesByMulticast:N0} bytes by multicast, {result.BytesByUnicast:N0} by unicast, {Math.Max(0, resumed):N0} already here or all-zero; SHA-256 verified."), id);
                progress?.Report(new StepProgress(100, $"Downloaded {content.PackageId} by {result.Method}; verified"));
                return new ContentAcquisition(path, result.Method, result.BytesByMulticast, result.BytesByUnicast, elapsed);
            }
        }

        throw NoneLeft(content, failures, "downloaded", id);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The distribution points are tried in policy order with the same checks as a download (pinned certificate, the
    /// site key, the transfer rules: access directly is unicast only, and a multicast-only package is refused); the first
    /// that serves a manifest signed by the site key, whose whole-file hash is the content id, and the first range of
    /// the content is used for the whole stream. Nothing is written under the work directory.
    /// </remarks>
    public async Task<Stream> OpenStreamAsync(PolicyDeployment deployment, PolicyContent content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(content);
        if (deployment.ContentOption != ContentOption.AccessDirectly)
        {
            throw new ArgumentException($"Only content of a deployment that accesses content directly is streamed; deployment {deployment.DeploymentId} has {deployment.ContentOption}.", nameof(deployment));
        }

        ThrowIfNoContentId(content);
        var id = deployment.DeploymentId;
        var (plan, siteKeyFingerprint) = PlanOrThrow(deployment, content);
        var failures = new List<string>();
        await foreach (var candidate in DistributionPointsAsync(deployment, content, plan, siteKeyFingerprint, failures, cancellationToken).ConfigureAwait(false))
        {
            var where = candidate.Where;
            _log?.Info(Component, $"Streaming {TransferPlan.Describe(content)}, {content.Size:N0} bytes, from {where} (access content directly: unicast, every block verified before it is handed on).", id);
            PackageContentStream stream;
            try
            {
                stream = await PackageContentStream.OpenAsync(candidate.Client, content.PackageId, content.Version,
                    new ContentStreamOptions { SiteKeyFingerprint = siteKeyFingerprint, Source = where }, leaveClientOpen: false, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested
                && e is InvalidOperationException or DistributionPointException or HttpRequestException or IOException or OperationCanceledException or FormatException)
            {
                failures.Add($"{where}: {e.Message}");
                _log?.Warning(Component, $"Streaming {content.PackageId} from {where} cannot start: {e.Message}", id);
                continue;
            }

            if (!string.Equals(stream.ContentId, content.ContentId, StringComparison.OrdinalIgnoreCase) || stream.ContentLength != content.Size)
            {
                stream.Dispose();
                failures.Add(OtherContent(content, where, "nothing of it was used"));
                _log?.Error(Component, failures[^1], id);
                continue;
            }

            return stream;
        }

        throw NoneLeft(content, failures, "streamed", id);
    }

    private static void ThrowIfNoContentId(PolicyContent content)
    {
        if (content.ContentId is not { Length: 64 } || !content.ContentId.All(Uri.IsHexDigit))
        {
            throw new ContentUnavailableException($"{TransferPlan.Describe(content)} has no valid content id in the policy ('{content.ContentId}'); refresh the policy.");
        }
    }

    /// <summary>How the policy lets the content travel, and the site key's fingerprint; throws (and logs) when it cannot travel at all.</summary>
    private (TransferPlan Plan, string? SiteKeyFingerprint) PlanOrThrow(PolicyDeployment deployment, PolicyContent content)
    {
        var id = deployment.DeploymentId;
        var plan = TransferPlan.ForPolicy(deployment.ContentOption, content);
        if (!plan.Possible)
        {
            _log?.Error(Component, plan.Refusal!, id);
            throw new ContentUnavailableException(plan.Refusal!);
        }

        if (content.DistributionPoints.Count == 0)
        {
            var none = $"{TransferPlan.Describe(content)} is on no distribution point the policy lists; distribute the content and let the agent fetch policy again.";
            _log?.Error(Component, none, id);
            throw new ContentUnavailableException(none);
        }

        return (plan, SiteKeyFingerprint(id));
    }

    /// <summary>
    /// The content's distribution points in policy order that answer in time with the pinned certificate, publish the
    /// site key (<paramref name="siteKeyFingerprint"/>, when the policy has one), and can serve the content under
    /// <paramref name="plan"/>; each one skipped adds its reason to
    /// <paramref name="failures"/> and the log. The caller owns (and disposes) each candidate's client.
    /// </summary>
    private async IAsyncEnumerable<DistributionPointCandidate> DistributionPointsAsync(PolicyDeployment deployment, PolicyContent content, TransferPlan plan,
        string? siteKeyFingerprint, List<string> failures, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var id = deployment.DeploymentId;
        foreach (var dp in content.DistributionPoints)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var where = $"distribution point {dp.Id} ({dp.Url})";
            DistributionPointClient client;
            try
            {
                client = new DistributionPointClient(dp.Url, dp.CertificateFingerprint, _credential());
            }
            catch (ArgumentException e)
            {
                failures.Add($"{where} cannot be used: {e.Message}");
                continue;
            }

            string? skipped = null;
            var atDp = plan;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_settings.ConnectTimeout);
                var info = await client.GetInfoAsync(timeout.Token).ConfigureAwait(false);
                var published = PublishedKeyFingerprint(info);
                if (siteKeyFingerprint is not null && !string.Equals(published, siteKeyFingerprint, StringComparison.Ordinal))
                {
                    skipped = $"{where} publishes site key {published}, not the site's {siteKeyFingerprint}; it is not used";
                }
                else
                {
                    atDp = plan.AtDistributionPoint(content, dp, info.MulticastEnabled);
                    skipped = atDp.Refusal;
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or DistributionPointException or OperationCanceledException or IOException or System.Text.Json.JsonException)
            {
                var reason = e is OperationCanceledException ? $"did not answer within {_settings.ConnectTimeout.TotalSeconds:0} s" : e.Message;
                failures.Add($"{where} is not reachable: {reason}");
                _log?.Warning(Component, $"{where} is not reachable for {content.PackageId}: {reason}", id);
                client.Dispose();
                continue;
            }
            catch
            {
                client.Dispose();
                throw;
            }

            if (skipped is not null)
            {
                failures.Add(skipped);
                _log?.Warning(Component, skipped, id);
                client.Dispose();
                continue;
            }

            yield return new DistributionPointCandidate(where, client, atDp);
        }
    }

    private static string OtherContent(PolicyContent content, string where, string consequence) =>
        $"{TransferPlan.Describe(content)} from {where} does not match the content id {content.ContentId} in the policy "
        + $"(the distribution point holds another version under this version number); {consequence}. Redistribute the content.";

    /// <summary>The failure when no distribution point served the content: every one's reason (and logs it).</summary>
    private ContentUnavailableException NoneLeft(PolicyContent content, List<string> failures, string verb, string deploymentId)
    {
        var message = failures.Count == 1
            ? failures[0]
            : $"{TransferPlan.Describe(content)} could not be {verb} from any of its {content.DistributionPoints.Count} distribution points: {string.Join("; ", failures)}";
        _log?.Error(Component, message, deploymentId);
        return new ContentUnavailableException(message);
    }

    /// <summary>The SHA-256 (hex) of the policy's site key, or null (with a warning) when the policy has none.</summary>
    private string? SiteKeyFingerprint(string deploymentId)
    {
        var key = _siteKey();
        if (string.IsNullOrWhiteSpace(key))
        {
            _log?.Warning(Component, "The policy carries no site key; manifests are checked against the key each distribution point publishes over its pinned certificate.", deploymentId);
            return null;
        }

        try
        {
            return Convert.ToHexStringLower(SHA256.HashData(Convert.FromBase64String(key)));
        }
        catch (FormatException)
        {
            throw new ContentUnavailableException("The policy's site key is not base64; no manifest can be checked. Fetch policy again.");
        }
    }

    private static string PublishedKeyFingerprint(DistributionPointInfo info)
    {
        try
        {
            return Convert.ToHexStringLower(SHA256.HashData(Convert.FromBase64String(info.SiteKeySpki ?? string.Empty)));
        }
        catch (FormatException)
        {
            return "(unreadable)";
        }
    }

    private static IProgress<long>? HashProgress(PolicyContent content, IProgress<StepProgress>? progress) =>
        progress is null ? null : new SyncProgress<long>(bytes =>
            progress.Report(new StepProgress(content.Size <= 0 ? 100 : (int)(bytes * 100 / content.Size), $"Checking {content.PackageId} already downloaded")));

    private static string SafeName(string packageId)
    {
        var invalid = Path.GetInvalidFileNameChars();
        return string.Concat(packageId.Select(c => invalid.Contains(c) || c == '.' ? '_' : c));
    }
}

/// <summary>How content was had.</summary>
/// <param name="Path">The verified local file.</param>
/// <param name="Method">"already downloaded", "multicast", "unicast", or "multicast+unicast".</param>
/// <param name="BytesByMulticast">Bytes received by multicast in this call.</param>
/// <param name="BytesByUnicast">Bytes fetched by HTTP in this call (a resumed download fetches only what was missing).</param>
/// <param name="Elapsed">How long it took.</param>
public sealed record ContentAcquisition(string Path, string Method, long BytesByMulticast, long BytesByUnicast, TimeSpan Elapsed);

/// <summary>A distribution point that passed the checks, with a client the caller owns.</summary>
internal sealed record DistributionPointCandidate(string Where, DistributionPointClient Client, TransferPlan Plan);

/// <summary>Settings of <see cref="ContentSource"/>.</summary>
public sealed record ContentSourceOptions
{
    /// <summary>The defaults.</summary>
    public static ContentSourceOptions Default { get; } = new();

    /// <summary>Longest total wait for a scheduled or busy multicast session before giving up. Default 1 hour.</summary>
    public TimeSpan MaxMulticastWait { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long a distribution point has to answer its info request before the next is tried. Default 15 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The clock for rates and durations. Default the system's.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>An <see cref="IProgress{T}"/> that calls its handler on the reporting thread (unlike
/// <see cref="Progress{T}"/>, which posts), so reports arrive in order.</summary>
internal sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
