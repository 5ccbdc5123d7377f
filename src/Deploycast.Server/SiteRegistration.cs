using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Deploycast.Client;
using Deploycast.Site.Management;

namespace Deploycast.Server;

/// <summary>Where a distribution point running as its own process registers, and with what.</summary>
/// <param name="Site">The site server's base address (https).</param>
/// <param name="SiteFingerprint">SHA-256 of the site server's certificate, normalized; null validates TLS normally.</param>
/// <param name="Token">The registration token from <c>deploycast dp token</c>.</param>
/// <param name="DistributionPointId">The name this DP has in the site.</param>
public sealed record SiteRegistrationOptions(Uri Site, string? SiteFingerprint, string Token, string DistributionPointId);

/// <summary>The site refused the registration or could not be reached; the message says why.</summary>
public sealed class SiteRegistrationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Registers a started server's DP with a site server: sends its advertised address and certificate fingerprint with
/// a registration token (<c>POST /api/v1/distribution-points/register</c>), pinning the site's certificate.
/// </summary>
public static class SiteRegistration
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// A client for a DP's calls to its site: the site's certificate pinned to <paramref name="fingerprint"/> (null
    /// validates TLS normally), <paramref name="bearer"/> (a registration token, or the DP's credential) on every request.
    /// </summary>
    /// <param name="presented">Told the fingerprint of the certificate the site presented.</param>
    internal static HttpClient SiteHttp(Uri site, string? fingerprint, string bearer, TimeSpan timeout, Action<string>? presented = null)
    {
        var http = new HttpClient(CertificatePinning.CreateHandler(fingerprint, presented)) { BaseAddress = site, Timeout = timeout };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return http;
    }

    /// <summary>Registers <paramref name="url"/> and <paramref name="certificateFingerprint"/> as this DP's endpoint.</summary>
    /// <exception cref="SiteRegistrationException">The site refused, or could not be reached or trusted.</exception>
    public static async Task<DistributionPointRegistered> RegisterAsync(
        SiteRegistrationOptions options, Uri url, string certificateFingerprint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(url);
        string? presented = null;
        using var http = SiteHttp(options.Site, options.SiteFingerprint, options.Token, TimeSpan.FromSeconds(30), f => presented = f);
        var body = new DistributionPointRegistration(options.DistributionPointId, url.ToString(), certificateFingerprint);
        try
        {
            using var response = await http.PostAsJsonAsync("api/v1/distribution-points/register", body, Json, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new SiteRegistrationException($"the site {options.Site} refused the registration ({(int)response.StatusCode}): {Describe(text)}");
            }

            return JsonSerializer.Deserialize<DistributionPointRegistered>(text, Json)
                ?? throw new SiteRegistrationException($"the site {options.Site} answered the registration with nothing");
        }
        catch (HttpRequestException e) when (e.InnerException is System.Security.Authentication.AuthenticationException)
        {
            throw new SiteRegistrationException(presented is not null && options.SiteFingerprint is not null && presented != options.SiteFingerprint
                ? $"the site {options.Site} presented certificate {presented}, not {options.SiteFingerprint} (--site-fingerprint)"
                : $"the TLS handshake with the site {options.Site} failed ({e.InnerException.Message})", e);
        }
        catch (HttpRequestException e)
        {
            throw new SiteRegistrationException($"cannot reach the site {options.Site}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SiteRegistrationException($"the site {options.Site} did not answer within 30 s", e);
        }
        catch (JsonException e)
        {
            throw new SiteRegistrationException($"the site {options.Site} answered with something that is not a registration ({e.Message})", e);
        }
    }

    /// <summary>Lowercase hex SHA-256 of a base64 SubjectPublicKeyInfo, as <c>deploycast server</c> prints its own site key.</summary>
    public static string? KeyFingerprint(string? spkiBase64)
    {
        try
        {
            return spkiBase64 is null ? null : Convert.ToHexStringLower(SHA256.HashData(Convert.FromBase64String(spkiBase64)));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The problem details' detail and field errors, or the body as it came.</summary>
    private static string Describe(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var parts = new List<string>();
            if (root.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String)
            {
                parts.Add(title.GetString()!);
            }

            if (root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String)
            {
                parts.Add(detail.GetString()!);
            }

            if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
            {
                parts.AddRange(errors.EnumerateObject().SelectMany(e => e.Value.EnumerateArray().Select(m => $"{e.Name}: {m.GetString()}")));
            }

            return parts.Count > 0 ? string.Join("; ", parts) : body;
        }
        catch (JsonException)
        {
            return body.Length > 500 ? body[..500] : body;
        }
    }
}
