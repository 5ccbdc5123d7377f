using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Deploycast.Content.Signing;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Client;

/// <summary>
/// The content requests every HTTP path to a package shares (staged download and streaming): the address of a
/// package version's content, its manifest checked against the site key, and byte ranges of the content.
/// </summary>
internal static class DistributionPointContent
{
    /// <summary>Blocks asked for in one range request: few requests, and a range small enough to fetch again.</summary>
    public const int BlocksPerRange = 32;

    /// <summary>The content address of a package version (the DP refuses it for multicast-only packages with 403).</summary>
    public static string ContentUrl(string packageId, int version) => $"/api/v1/dp/content/{Uri.EscapeDataString(packageId)}/{version}";

    /// <summary>
    /// Fetches the manifest of a package version and checks its signature against the site key the DP publishes; with
    /// <paramref name="siteKeyFingerprint"/>, that key must be the expected one. Nothing of the content is trusted before.
    /// </summary>
    public static async Task<(TransferManifest Manifest, byte[] Bytes)> FetchManifestAsync(
        DistributionPointClient client, string packageId, int version, string? siteKeyFingerprint, CancellationToken cancellationToken)
    {
        var info = await client.GetInfoAsync(cancellationToken).ConfigureAwait(false);
        var spki = Convert.FromBase64String(info.SiteKeySpki);
        if (siteKeyFingerprint is { } expected && !string.Equals(Convert.ToHexStringLower(SHA256.HashData(spki)), expected.ToLowerInvariant(), StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the distribution point publishes site key {info.SiteKeyFingerprint}, not the expected {expected}");
        }

        var (bytes, signature) = await client.GetManifestAsync($"{ContentUrl(packageId, version)}/manifest", cancellationToken).ConfigureAwait(false);
        if (!ManifestSignature.Verify(spki, bytes, signature))
        {
            throw new InvalidOperationException($"the manifest of {packageId} v{version} is not signed by the site key {info.SiteKeyFingerprint}; nothing is downloaded");
        }

        var manifest = TransferManifest.TryParse(bytes, out var error)
            ?? throw new InvalidOperationException($"the manifest of {packageId} v{version} cannot be read: {error}");
        return (manifest, bytes);
    }

    /// <summary>
    /// Fetches bytes <paramref name="from"/> to <paramref name="to"/> (inclusive) of the content into
    /// <paramref name="destination"/>, which is exactly that long. A body that ends early throws
    /// <see cref="EndOfStreamException"/>; an answer other than 206 (or 200 for the whole file) throws
    /// <see cref="InvalidDataException"/>; a refusal throws <see cref="DistributionPointException"/>.
    /// </summary>
    public static async Task FetchRangeAsync(DistributionPointClient client, string contentUrl, long fileSize, long from, long to, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, contentUrl.TrimStart('/'));
        request.Headers.Range = new RangeHeaderValue(from, to);
        using var response = await client.SendAsync(request, cancellationToken, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.PartialContent && !(from == 0 && to == fileSize - 1))
        {
            throw new InvalidDataException($"the distribution point answered a range request with {(int)response.StatusCode} instead of 206");
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await stream.ReadExactlyAsync(destination, cancellationToken).ConfigureAwait(false);
    }
}
