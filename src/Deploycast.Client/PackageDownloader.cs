using System.Net;
using System.Security.Cryptography;
using Deploycast.Multicast.Receiving;
using Deploycast.Multicast.Storage;
using Deploycast.Multicast.Transport;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Client;

/// <summary>How a package download went.</summary>
/// <param name="Method">"multicast", "unicast", or "multicast+unicast" when a dismissed receiver finished by HTTP.</param>
/// <param name="Notes">What happened on the way (waits, fallbacks), for the log.</param>
/// <param name="ContentId">
/// The whole-file SHA-256 (lowercase hex) in the signed manifest that every block of the file was checked against: the
/// file's own SHA-256, without reading it again.
/// </param>
public sealed record DownloadResult(string Method, long Size, long BytesByMulticast, long BytesByUnicast, TimeSpan Elapsed, IReadOnlyList<string> Notes, string ContentId);

/// <summary>Where a download is, for display.</summary>
public sealed record DownloadProgress(string Phase, long BytesDone, long TotalBytes, string? Detail);

/// <summary>Options of <see cref="PackageDownloader"/>.</summary>
public sealed record DownloadOptions
{
    /// <summary>This computer's identity at the distribution point. Default: the host name.</summary>
    public string ClientId { get; init; } = Dns.GetHostName();

    /// <summary>Local interface to receive multicast on. Default 127.0.0.1 (the loopback test network).</summary>
    public IPAddress Interface { get; init; } = IPAddress.Loopback;

    /// <summary>Try multicast first; false goes straight to unicast when the package allows it. Default true.</summary>
    public bool Multicast { get; init; } = true;

    /// <summary>Longest total wait for scheduled or busy sessions before giving up (or falling back). Default 1 hour.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Site-key fingerprint the manifest signature must come from; null trusts the key the DP publishes over the pinned TLS channel.</summary>
    public string? SiteKeyFingerprint { get; init; }

    /// <summary>
    /// Whether this client may download by HTTP when the distribution point offers it (multicast disabled or not allowed,
    /// busy, failed, or a slow client disconnected with fallback). False (a deployment that allows no unicast fallback)
    /// turns each of those answers into an error instead, and busy or scheduled sessions are waited for. Default true.
    /// </summary>
    public bool AllowUnicast { get; init; } = true;
}

/// <summary>
/// Downloads one package version the way the agent's "download content locally when needed" step does: asks the
/// distribution point for a multicast session and joins it; waits when the session is scheduled; falls back to unicast
/// (HTTP range requests) when the DP says so and the package allows it, fetching only the blocks multicast did not
/// bring. Every block is checked against the site-signed manifest, and the whole file against its SHA-256.
/// </summary>
public sealed class PackageDownloader(DistributionPointClient client, DownloadOptions options)
{
    public async Task<DownloadResult> DownloadAsync(string packageId, int version, string outputPath, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var start = TimeProvider.System.GetTimestamp();
        var notes = new List<string>();
        var (manifest, manifestBytes) = await DistributionPointContent.FetchManifestAsync(client, packageId, version, options.SiteKeyFingerprint, cancellationToken).ConfigureAwait(false);
        var manifestHash = SHA256.HashData(manifestBytes);
        long byMulticast = 0;
        var waited = TimeSpan.Zero;
        string? contentUrl = null;
        var dismissals = 0;
        if (!options.Multicast && !options.AllowUnicast)
        {
            throw new InvalidOperationException($"{packageId} v{version} can be downloaded neither by multicast nor by unicast with these options");
        }

        if (!options.Multicast)
        {
            // Not a session client: the content address is fixed, and the DP refuses it for multicast-only packages.
            notes.Add("unicast: multicast skipped on request");
            var url = DistributionPointContent.ContentUrl(packageId, version);
            return await UnicastAsync(url, manifest, manifestBytes, manifestHash, outputPath, 0, start, notes, "unicast", progress, cancellationToken).ConfigureAwait(false);
        }

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var response = await client.RequestSessionAsync(options.ClientId, packageId, version, cancellationToken).ConfigureAwait(false);
            contentUrl = response.ContentUrl ?? contentUrl;
            switch (response.Decision)
            {
                case "join" when options.Multicast:
                {
                    var session = response.Session!;
                    if (!string.Equals(session.ManifestSha256, Convert.ToHexStringLower(manifestHash), StringComparison.Ordinal))
                    {
                        throw new InvalidOperationException($"the distribution point's session for {packageId} v{version} sends another manifest than it published");
                    }

                    progress?.Report(new DownloadProgress("multicast", 0, manifest.FileSize, $"session {session.SessionId:x8} on {session.Group}:{session.Port}, tier {session.Tier}"));
                    var result = await ReceiveAsync(session, manifestHash, outputPath, progress, cancellationToken).ConfigureAwait(false);
                    if (result.Succeeded)
                    {
                        byMulticast += result.FileSize - result.BytesResumed;
                        return new DownloadResult(dismissals > 0 ? "multicast (moved to a slower stream)" : "multicast", manifest.FileSize, byMulticast, 0, Elapsed(start), notes, Convert.ToHexStringLower(manifest.FileHash));
                    }

                    notes.Add($"multicast ended: {result.Failure}");
                    if (result.Dismissed)
                    {
                        dismissals++;
                        if (result.FallBackToUnicast && contentUrl is not null)
                        {
                            if (!options.AllowUnicast)
                            {
                                throw new InvalidOperationException($"the distribution point disconnected this client from the multicast session of {packageId} as a slow client, and this download may not fall back to unicast");
                            }

                            return await UnicastAsync(contentUrl, manifest, manifestBytes, manifestHash, outputPath, byMulticast, start, notes, "multicast+unicast", progress, cancellationToken).ConfigureAwait(false);
                        }

                        if (dismissals > 3)
                        {
                            throw new InvalidOperationException($"the distribution point disconnected this client {dismissals} times and allows no unicast fallback for {packageId}");
                        }

                        continue; // multistream: the next request is answered with a slower session
                    }

                    if (response.UnicastAllowed && options.AllowUnicast && contentUrl is not null)
                    {
                        return await UnicastAsync(contentUrl, manifest, manifestBytes, manifestHash, outputPath, byMulticast, start, notes, "multicast+unicast", progress, cancellationToken).ConfigureAwait(false);
                    }

                    if (waited > options.MaxWait)
                    {
                        throw new InvalidOperationException(response.UnicastAllowed
                            ? $"multicast failed ({result.Failure}) and this download of {packageId} may not fall back to unicast"
                            : $"multicast failed ({result.Failure}) and package {packageId} allows no unicast fallback");
                    }

                    waited += TimeSpan.FromSeconds(2);
                    await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                case "join":
                case "unicast":
                case "busy" when response.UnicastAllowed && options.AllowUnicast:
                    if (!options.AllowUnicast)
                    {
                        throw new InvalidOperationException($"the distribution point offers {packageId} only by unicast ({response.Reason}), and this download may not use unicast");
                    }

                    if (contentUrl is null)
                    {
                        throw new InvalidOperationException($"the distribution point offers no unicast download of {packageId}: {response.Reason}");
                    }

                    notes.Add($"unicast: {response.Reason}");
                    return await UnicastAsync(contentUrl, manifest, manifestBytes, manifestHash, outputPath, 0, start, notes, "unicast", progress, cancellationToken).ConfigureAwait(false);

                case "wait":
                case "busy":
                {
                    var retry = TimeSpan.FromSeconds(Math.Clamp(response.RetryAfterSeconds ?? 5, 1, 60));
                    if (waited + retry > options.MaxWait)
                    {
                        throw new TimeoutException($"waited {waited.TotalSeconds:0} s for a multicast session of {packageId}: {response.Reason}");
                    }

                    progress?.Report(new DownloadProgress(response.Decision, 0, manifest.FileSize, response.Reason));
                    waited += retry;
                    await Task.Delay(retry, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                default:
                    throw new InvalidOperationException($"the distribution point refused {packageId} v{version}: {response.Reason}");
            }
        }
    }

    private async Task<ReceiverResult> ReceiveAsync(SessionParameters session, byte[] manifestHash, string outputPath, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        using var store = new FileReceiverStore(outputPath);
        var receiverOptions = ReceiverOptions.Default with
        {
            Key = session.Key is null ? null : Convert.FromBase64String(session.Key),
            ReceiverId = session.ReceiverId,
            SessionId = session.SessionId,
            ExpectedManifestHash = manifestHash,
        };
        using var receiverSession = new ReceiverSession(store, receiverOptions);
        using var receiver = new MulticastReceiver(receiverSession, options.Interface, new IPEndPoint(IPAddress.Parse(session.Group), session.Port));
        using var ticker = progress is null ? null : new Timer(_ =>
        {
            if (receiver.Progress is { } p)
            {
                progress.Report(new DownloadProgress(p.Verifying ? "verifying" : "multicast", p.BytesDone, p.FileSize, null));
            }
        }, null, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500));
        return await receiver.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Fetches by HTTP range requests the blocks the output does not have yet (a multicast attempt or an earlier
    /// unicast run leaves a block map), checks each against the manifest, then makes sure the file reads back right
    /// (<see cref="FileReceiverStore.VerifyFile"/>).
    /// </summary>
    private async Task<DownloadResult> UnicastAsync(
        string contentUrl, TransferManifest manifest, byte[] manifestBytes, byte[] manifestHash, string outputPath, long byMulticast,
        long start, List<string> notes, string method, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        using var store = new FileReceiverStore(outputPath);
        var have = store.TryResume(manifestHash, out _, out var verified, out _) ? verified : new bool[manifest.BlockCount];
        store.Begin(manifestHash, manifestBytes, manifest, 0);
        long byUnicast = 0;
        var done = Enumerable.Range(0, manifest.BlockCount).Where(b => have[b] || manifest.IsZeroBlock(b)).Sum(b => (long)manifest.BlockLength(b));
        var buffer = new byte[manifest.BlockSize * DistributionPointContent.BlocksPerRange];
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var block = 0;
            while (block < manifest.BlockCount)
            {
                if (have[block] || manifest.IsZeroBlock(block))
                {
                    block++;
                    continue;
                }

                var first = block;
                while (block < manifest.BlockCount && block - first < DistributionPointContent.BlocksPerRange && !have[block] && !manifest.IsZeroBlock(block))
                {
                    block++;
                }

                var from = (long)first * manifest.BlockSize;
                var to = Math.Min(manifest.FileSize, (long)block * manifest.BlockSize) - 1;
                var length = (int)(to - from + 1);
                await DistributionPointContent.FetchRangeAsync(client, contentUrl, manifest.FileSize, from, to, buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                for (var b = first; b < block; b++)
                {
                    var offset = (long)b * manifest.BlockSize;
                    var data = buffer.AsSpan((int)(offset - from), manifest.BlockLength(b));
                    if (!manifest.VerifyBlock(b, data))
                    {
                        throw new InvalidDataException($"block {b} from {contentUrl} does not match the signed manifest; the distribution point's content may be corrupt");
                    }

                    store.WriteBlock(b, offset, data);
                    have[b] = true;
                    byUnicast += data.Length;
                    done += data.Length;
                }

                store.Checkpoint();
                progress?.Report(new DownloadProgress("unicast", done, manifest.FileSize, null));
            }

            progress?.Report(new DownloadProgress("verifying", done, manifest.FileSize, null));
            var bad = store.VerifyFile(manifest, null);
            if (bad.Count == 0)
            {
                store.Complete();
                return new DownloadResult(method, manifest.FileSize, byMulticast, byUnicast, Elapsed(start), notes, Convert.ToHexStringLower(manifest.FileHash));
            }

            notes.Add($"{bad.Count} block(s) did not read back right and were fetched again");
            foreach (var b in bad)
            {
                have[b] = false;
            }
        }

        throw new IOException($"{outputPath} does not match the manifest after three attempts; the disk may be failing");
    }

    private static TimeSpan Elapsed(long start) => TimeProvider.System.GetElapsedTime(start);
}
