using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Deploycast.Client;

/// <summary>
/// Talks to a distribution point's HTTPS API. With a fingerprint, the server certificate is trusted when its SHA-256
/// matches (the DP prints it at start; a self-signed certificate is the default); without, normal TLS validation applies.
/// </summary>
public sealed class DistributionPointClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;

    public DistributionPointClient(Uri server, string? fingerprint, string? token)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (server.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"the distribution point must be an https:// URL, not '{server}': session keys travel over it", nameof(server));
        }

        var pinned = CertificatePinning.Normalize(fingerprint, nameof(fingerprint));
        var handler = CertificatePinning.CreateHandler(pinned);
        _http = new HttpClient(handler) { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Uri Server => _http.BaseAddress!;

    internal HttpClient Http => _http;

    public async Task<DistributionPointInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "api/v1/dp/"), cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync<DistributionPointInfo>(Json, cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<SessionResponse> RequestSessionAsync(string clientId, string packageId, int version, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/dp/sessions")
        {
            Content = JsonContent.Create(new SessionRequestBody(clientId, packageId, version), options: Json),
        };
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync<SessionResponse>(Json, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The manifest and its site-key signature.</summary>
    public async Task<(byte[] Manifest, byte[] Signature)> GetManifestAsync(string manifestUrl, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, manifestUrl.TrimStart('/')), cancellationToken).ConfigureAwait(false);
        var signature = response.Headers.TryGetValues("X-Deploycast-Manifest-Signature", out var values) ? Convert.FromBase64String(values.First()) : [];
        return (await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false), signature);
    }

    /// <summary>Sends a request; a non-success answer becomes a <see cref="DistributionPointException"/> carrying the problem details.</summary>
    internal async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.InnerException is System.Security.Authentication.AuthenticationException)
        {
            throw new DistributionPointException(0, $"the distribution point {Server} did not present the expected certificate ({e.InnerException!.Message}); check --fingerprint");
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            string message;
            try
            {
                var problem = JsonDocument.Parse(text).RootElement;
                var title = problem.TryGetProperty("title", out var t) ? t.GetString() : null;
                var detail = problem.TryGetProperty("detail", out var d) ? d.GetString() : null;
                var errors = problem.TryGetProperty("errors", out var e) ? string.Join(" ", e.EnumerateObject().SelectMany(p => p.Value.EnumerateArray().Select(v => v.GetString()))) : null;
                message = string.Join(": ", new[] { title, detail ?? errors }.Where(s => !string.IsNullOrEmpty(s)));
            }
            catch (JsonException)
            {
                message = text;
            }

            throw new DistributionPointException(response.StatusCode, $"{(int)response.StatusCode} {response.ReasonPhrase}: {message}");
        }
    }

    public void Dispose() => _http.Dispose();
}
