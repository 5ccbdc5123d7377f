using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Deploycast.Site.Management;
using Microsoft.Extensions.Logging;

namespace Deploycast.Server;

/// <summary>
/// On a distribution point registered with a site: decides whether a device may receive an encrypted package from this
/// DP by asking the site (<c>POST /api/v1/distribution-points/check-client</c>, with the DP's own credential), since only
/// the site knows devices' credentials and what is deployed to them. Answers are remembered for a short while, because
/// a download asks again for every range: a yes for a minute, a no for ten seconds (a device deployed a moment ago is
/// not kept waiting long). Until the DP has registered, and whenever the site cannot be reached, the answer is no.
/// </summary>
public sealed partial class SiteClientChecks(TimeProvider time, ILogger<SiteClientChecks> logger) : IDisposable
{
    /// <summary>How long a yes is trusted.</summary>
    public static readonly TimeSpan AllowedFor = TimeSpan.FromMinutes(1);

    /// <summary>How long a no is trusted.</summary>
    public static readonly TimeSpan RefusedFor = TimeSpan.FromSeconds(10);

    private const int MaxAnswers = 10_000;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly ConcurrentDictionary<string, (bool Allowed, DateTimeOffset Until)> _answers = new(StringComparer.Ordinal);
    private HttpClient? _site;
    private long _siteQuestions;

    /// <summary>Whether this DP asks a site (it registered with one).</summary>
    public bool IsConnected => Volatile.Read(ref _site) is not null;

    /// <summary>Questions sent to the site (the others were answered from memory).</summary>
    public long SiteQuestions => Interlocked.Read(ref _siteQuestions);

    /// <summary>From now on, asks <paramref name="site"/> (certificate pinned to <paramref name="fingerprint"/>) with this DP's credential.</summary>
    public void Connect(Uri site, string? fingerprint, string credential)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentException.ThrowIfNullOrEmpty(credential);
        Interlocked.Exchange(ref _site, SiteRegistration.SiteHttp(site, fingerprint, credential, TimeSpan.FromSeconds(10)))?.Dispose();
        _answers.Clear();
    }

    /// <summary>Whether the bearer of <paramref name="token"/> may receive <paramref name="packageId"/> from this DP.</summary>
    public async ValueTask<bool> IsAllowedAsync(string token, string packageId, CancellationToken cancellationToken)
    {
        var site = Volatile.Read(ref _site);
        if (site is null)
        {
            return false;
        }

        // Keyed by the token's hash: the secret itself is not kept in memory longer than the request.
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token))) + "/" + packageId;
        var now = time.GetUtcNow();
        if (_answers.TryGetValue(key, out var known) && known.Until > now)
        {
            return known.Allowed;
        }

        ClientCheckVerdict? verdict;
        try
        {
            Interlocked.Increment(ref _siteQuestions);
            using var response = await site.PostAsJsonAsync("api/v1/distribution-points/check-client", new ClientCheck(token, packageId), Json, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                CheckFailed(logger, site.BaseAddress!, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
                return false;
            }

            verdict = await response.Content.ReadFromJsonAsync<ClientCheckVerdict>(Json, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // Not remembered: the next request asks again.
            CheckFailed(logger, site.BaseAddress!, e.Message);
            return false;
        }

        var allowed = verdict?.Allowed == true;
        if (_answers.Count >= MaxAnswers)
        {
            foreach (var (name, answer) in _answers)
            {
                if (answer.Until <= now)
                {
                    _answers.TryRemove(name, out _);
                }
            }

            if (_answers.Count >= MaxAnswers)
            {
                _answers.Clear();
            }
        }

        _answers[key] = (allowed, now + (allowed ? AllowedFor : RefusedFor));
        if (!allowed)
        {
            Refused(logger, packageId, verdict?.DeviceId is { } id ? $"device {id}" : "a client that is not a device of the site", verdict?.Reason ?? "no reason given");
        }

        return allowed;
    }

    public void Dispose() => Interlocked.Exchange(ref _site, null)?.Dispose();

    [LoggerMessage(EventId = 5192, Level = LogLevel.Warning, Message = "The site {Site} could not check a client for an encrypted package; refused: {Error}")]
    private static partial void CheckFailed(ILogger logger, Uri site, string error);

    [LoggerMessage(EventId = 5193, Level = LogLevel.Information, Message = "The site refused {Device} encrypted package {PackageId}: {Reason}")]
    private static partial void Refused(ILogger logger, string packageId, string device, string reason);
}
