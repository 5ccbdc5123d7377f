using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Deploycast.Client;

namespace Deploycast.Cli.Admin;

/// <summary>
/// The administrator's side of the site server's REST API (<c>/api/v1</c>, and the DP's <c>/api/v1/dp</c>): HTTPS to a
/// server pinned by its certificate's SHA-256, the administrator token as a bearer token. A refusal becomes a
/// <see cref="SiteRefusedException"/> with the problem details; a server that cannot be reached or trusted becomes a
/// <see cref="SiteConnectionException"/> that names the server and the cause.
/// </summary>
/// <remarks>
/// It lives in the CLI rather than in Deploycast.Client because it deserializes into the site's model records, and
/// Deploycast.Site brings ASP.NET Core with it, which the agent's client library should not carry.
/// </remarks>
internal sealed class SiteClient : IDisposable
{
    /// <summary>How long an ordinary request may take; imports take as long as they take.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http;
    private readonly string _pinned;
    private string? _presented;

    public SiteClient(Uri server, string fingerprint, string? token)
    {
        ArgumentNullException.ThrowIfNull(server);
        _pinned = CertificatePinning.Normalize(fingerprint)!;
        var handler = CertificatePinning.CreateHandler(_pinned, presented => _presented = presented);
        _http = new HttpClient(handler) { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        HasToken = token is not null;
    }

    /// <summary>JSON as the server writes it: camelCase, enums by name.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public Uri Server => _http.BaseAddress!;

    public bool HasToken { get; }

    public async Task<SiteResponse<T>> GetAsync<T>(string path, CancellationToken cancellationToken) =>
        Parse<T>(await SendAsync(HttpMethod.Get, path, null, DefaultTimeout, cancellationToken).ConfigureAwait(false));

    public async Task<SiteResponse<T>> SendJsonAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var content = body is null ? null : new StringContent(JsonSerializer.Serialize(body, Json), Encoding.UTF8, "application/json");
        return Parse<T>(await SendAsync(method, path, content, timeout ?? DefaultTimeout, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>A GET that also returns the answer's entity tag (ETag header), for a later <c>If-Match</c>.</summary>
    public async Task<(SiteResponse<T> Response, string? ETag)> GetWithETagAsync<T>(string path, CancellationToken cancellationToken)
    {
        var (text, etag) = await SendWithHeadersAsync(HttpMethod.Get, path, null, DefaultTimeout, null, cancellationToken).ConfigureAwait(false);
        return (Parse<T>(text), etag);
    }

    /// <summary>Sends JSON with <c>If-Match: <paramref name="ifMatch"/></c>: the server refuses (412) when the resource changed since it was read.</summary>
    public async Task<SiteResponse<T>> SendJsonIfMatchAsync<T>(HttpMethod method, string path, object? body, string? ifMatch, CancellationToken cancellationToken)
    {
        var content = body is null ? null : new StringContent(JsonSerializer.Serialize(body, Json), Encoding.UTF8, "application/json");
        return Parse<T>((await SendWithHeadersAsync(method, path, content, DefaultTimeout, ifMatch, cancellationToken).ConfigureAwait(false)).Text);
    }

    /// <summary>Sends a request and returns the response body (empty for 204); throws on refusal or connection failure.</summary>
    public async Task<string> SendAsync(HttpMethod method, string path, HttpContent? content, TimeSpan timeout, CancellationToken cancellationToken) =>
        (await SendWithHeadersAsync(method, path, content, timeout, null, cancellationToken).ConfigureAwait(false)).Text;

    private async Task<(string Text, string? ETag)> SendWithHeadersAsync(
        HttpMethod method, string path, HttpContent? content, TimeSpan timeout, string? ifMatch, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/')) { Content = content };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            deadline.CancelAfter(timeout);
        }

        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new SiteRefusedException(Problem.From(response.StatusCode, response.ReasonPhrase, text));
            }

            return (text, response.Headers.ETag?.ToString());
        }
        catch (HttpRequestException e) when (e.InnerException is AuthenticationException)
        {
            throw new SiteConnectionException(_presented is { } presented && presented != _pinned
                ? $"{Server} presented a certificate with SHA-256 {presented}, not the one given by --fingerprint ({_pinned}); check the fingerprint `deploycast server` printed"
                : $"{Server}: the TLS handshake failed ({e.InnerException!.Message})");
        }
        catch (HttpRequestException e)
        {
            throw new SiteConnectionException($"cannot reach {Server}: {Innermost(e).Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SiteConnectionException($"{Server} did not answer within {timeout.TotalSeconds:0} s");
        }
    }

    public void Dispose() => _http.Dispose();

    private static SiteResponse<T> Parse<T>(string json)
    {
        if (json.Length == 0)
        {
            return new SiteResponse<T>(default!, json);
        }

        try
        {
            return new SiteResponse<T>(JsonSerializer.Deserialize<T>(json, Json)!, json);
        }
        catch (JsonException e)
        {
            throw new SiteConnectionException($"the server's answer is not what this version of deploycast expects ({e.Message})");
        }
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }
}

/// <summary>A deserialized answer and the JSON it came from (printed as it is with <c>--json</c>).</summary>
internal sealed record SiteResponse<T>(T Value, string Json);

/// <summary>RFC 7807 problem details as the server sends them, with the per-field errors of a 400.</summary>
internal sealed record Problem(int Status, string Title, string? Detail, IReadOnlyDictionary<string, string[]> Errors)
{
    public static Problem From(HttpStatusCode status, string? reason, string body)
    {
        var code = (int)status;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
                if (root.TryGetProperty("errors", out var fields) && fields.ValueKind == JsonValueKind.Object)
                {
                    foreach (var field in fields.EnumerateObject())
                    {
                        errors[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                            ? field.Value.EnumerateArray().Select(v => v.ToString()).ToArray()
                            : [field.Value.ToString()];
                    }
                }

                return new Problem(
                    code,
                    Text(root, "title") ?? reason ?? status.ToString(),
                    Text(root, "detail"),
                    errors);
            }
        }
        catch (JsonException)
        {
        }

        var detail = body.Trim();
        return new Problem(code, reason ?? status.ToString(), detail.Length == 0 ? null : detail[..Math.Min(detail.Length, 1000)], new Dictionary<string, string[]>());
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>The server answered and refused the request (exit code 1).</summary>
internal sealed class SiteRefusedException(Problem problem) : Exception($"{problem.Status} {problem.Title}")
{
    public Problem Problem { get; } = problem;
}

/// <summary>The server could not be reached, trusted or understood (exit code 2).</summary>
internal sealed class SiteConnectionException(string message) : Exception(message);
