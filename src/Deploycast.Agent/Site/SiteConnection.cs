using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Deploycast.Agent.Engine;
using Deploycast.Agent.Logging;
using Deploycast.Client;
using Deploycast.Site.Model;

namespace Deploycast.Agent.Site;

/// <summary>
/// The agent's link to the site server: registration (the credential is kept in <c>agent.json</c>, mode 0600),
/// policy, and status messages. Status messages that cannot be sent are kept in <c>status-queue.jsonl</c> and sent,
/// in order, as soon as the site answers again, so a network outage loses nothing.
/// </summary>
public sealed class SiteConnection : IStatusReporter, IDisposable
{
    /// <summary>The file holding the device id and credential.</summary>
    public const string IdentityFile = "agent.json";

    private const string QueueFile = "status-queue.jsonl";
    private const string Component = "SiteConnection";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly AgentOptions _options;
    private readonly AgentLog _log;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly string _identityPath;
    private readonly string _queuePath;
    private AgentIdentity? _identity;

    public SiteConnection(AgentOptions options, AgentLog log)
    {
        _options = options;
        _log = log;
        var pinned = CertificatePinning.Normalize(options.Fingerprint, "--fingerprint");
        _http = new HttpClient(CertificatePinning.CreateHandler(pinned)) { BaseAddress = options.Server, Timeout = TimeSpan.FromSeconds(60) };
        _identityPath = Path.Combine(options.DataDirectory, IdentityFile);
        _queuePath = Path.Combine(options.DataDirectory, QueueFile);
    }

    /// <summary>The device's id and credential once registered.</summary>
    public AgentIdentity? Identity => _identity;

    /// <summary>True when the site answered that an administrator blocked this device.</summary>
    public bool IsBlocked { get; private set; }

    /// <summary>The credential the DP accepts for encrypted packages deployed to this device.</summary>
    public string? Credential => _identity?.Credential;

    /// <summary>
    /// Loads the stored identity, or registers the device (name, MAC addresses, SMBIOS UUID) and stores what the site
    /// answers. An identity made for another site server is replaced.
    /// </summary>
    public async Task<AgentIdentity> EnsureRegisteredAsync(DeviceEntry device, CancellationToken cancellationToken)
    {
        if (_identity is null && File.Exists(_identityPath))
        {
            try
            {
                var stored = JsonSerializer.Deserialize<AgentIdentity>(await File.ReadAllTextAsync(_identityPath, cancellationToken).ConfigureAwait(false), Json);
                if (stored is not null && stored.Server == _options.Server)
                {
                    _identity = stored;
                }
            }
            catch (JsonException e)
            {
                _log.Warning(Component, $"{_identityPath} is unreadable ({e.Message}); registering again.");
            }
        }

        return _identity ?? await RegisterAsync(device, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Registers again (the site lost or replaced this device's credential).</summary>
    public async Task<AgentIdentity> RegisterAsync(DeviceEntry device, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync("/api/v1/agent/register", device, Json, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "registration", cancellationToken).ConfigureAwait(false);
        var registration = (await response.Content.ReadFromJsonAsync<RegistrationResponse>(Json, cancellationToken).ConfigureAwait(false))!;
        _identity = new AgentIdentity(_options.Server, registration.DeviceId, registration.Name, registration.Credential);
        Directory.CreateDirectory(_options.DataDirectory);
        var temporary = _identityPath + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // The credential is the device's identity: readable by root (the agent) only.
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var file = new FileStream(temporary, fileOptions))
        {
            await JsonSerializer.SerializeAsync(file, _identity, Json, cancellationToken).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, _identityPath, overwrite: true);
        _log.Info(Component, $"Registered with {_options.Server} as device {registration.DeviceId} '{registration.Name}' ({registration.Approval}).");
        return _identity;
    }

    /// <summary>
    /// This device's policy; null while the device waits for approval (the reason is logged). A credential the site no
    /// longer accepts makes the agent register again once.
    /// </summary>
    public async Task<DevicePolicy?> GetPolicyAsync(DeviceEntry device, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var identity = await EnsureRegisteredAsync(device, cancellationToken).ConfigureAwait(false);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/agent/policy");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", identity.Credential);
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
            {
                _log.Warning(Component, "The site does not accept this device's credential any more; registering again.");
                _identity = null;
                File.Delete(_identityPath);
                continue;
            }

            if (response.StatusCode == HttpStatusCode.Forbidden)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                IsBlocked = body.Contains("\"Device blocked\"", StringComparison.Ordinal);
                var problem = ProblemText(body);
                _log.Warning(Component, IsBlocked ? $"This computer is blocked by an administrator: {problem}" : $"No policy yet: {problem}");
                return null;
            }

            IsBlocked = false;

            await EnsureSuccessAsync(response, "policy", cancellationToken).ConfigureAwait(false);
            return await response.Content.ReadFromJsonAsync<DevicePolicy>(Json, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Queues the message, then sends every queued message it can, oldest first.</summary>
    public async Task ReportAsync(AgentStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        var stamped = status with { Time = status.Time ?? DateTimeOffset.UtcNow };
        await _sendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await File.AppendAllTextAsync(_queuePath, JsonSerializer.Serialize(stamped, Json) + "\n", cancellationToken).ConfigureAwait(false);
            await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>Sends queued status messages; returns how many are still waiting.</summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken)
    {
        await _sendGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    private async Task<int> FlushLockedAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(_queuePath) || _identity is null)
        {
            return File.Exists(_queuePath) ? File.ReadAllLines(_queuePath).Length : 0;
        }

        var lines = (await File.ReadAllLinesAsync(_queuePath, cancellationToken).ConfigureAwait(false)).Where(l => l.Length > 0).ToList();
        var sent = 0;
        foreach (var line in lines)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/agent/status")
                {
                    Content = new StringContent(line, System.Text.Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _identity.Credential);
                using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if ((int)response.StatusCode >= 500 || response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
                {
                    // The site cannot take it now (or no longer knows this credential: the next policy fetch registers
                    // again); keep it and everything after it for the next contact.
                    break;
                }

                if (!response.IsSuccessStatusCode)
                {
                    // The site refuses this message (it will refuse it again): log it and drop it, keep the others.
                    _log.Warning(Component, $"The site refused a status message ({(int)response.StatusCode}): {await ProblemAsync(response, cancellationToken).ConfigureAwait(false)}");
                }

                sent++;
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                _log.Warning(Component, $"Status messages kept for later: the site is unreachable ({e.Message}).");
                break;
            }
        }

        var left = lines.Skip(sent).ToList();
        if (left.Count == 0)
        {
            File.Delete(_queuePath);
        }
        else if (sent > 0)
        {
            await File.WriteAllLinesAsync(_queuePath + ".tmp", left, cancellationToken).ConfigureAwait(false);
            File.Move(_queuePath + ".tmp", _queuePath, overwrite: true);
        }

        return left.Count;
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new SiteRequestException(
                $"The site server {_options.Server} refused the {what} request ({(int)response.StatusCode}): {await ProblemAsync(response, cancellationToken).ConfigureAwait(false)}",
                response.StatusCode);
        }
    }

    private static async Task<string> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        ProblemText(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>A problem-details body as one line: its detail (or title) and each field error.</summary>
    private static string ProblemText(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var text = root.TryGetProperty("detail", out var detail) ? detail.GetString() : root.TryGetProperty("title", out var title) ? title.GetString() : body;
            if (root.TryGetProperty("errors", out var errors))
            {
                text += " " + string.Join("; ", errors.EnumerateObject().Select(e => $"{e.Name}: {string.Join(" ", e.Value.EnumerateArray().Select(v => v.GetString()))}"));
            }

            return text ?? body;
        }
        catch (JsonException)
        {
            return body.Length > 300 ? body[..300] : body;
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _sendGate.Dispose();
    }
}

/// <summary>What <c>agent.json</c> holds.</summary>
public sealed record AgentIdentity(Uri Server, long DeviceId, string Name, string Credential);

/// <summary>The site server refused a request; the message says which and why.</summary>
public sealed class SiteRequestException(string message, HttpStatusCode status) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
}
