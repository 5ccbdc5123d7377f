using System.Diagnostics;

namespace Deploycast.Console.Tests;

/// <summary>
/// Reads the DP's event stream (<c>/api/v1/dp/sessions/events</c>) as the console does and counts what the server
/// sends: events and bytes per event type, and the largest session list.
/// </summary>
internal sealed class SessionStreamMeter : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (int Events, long Bytes, int Largest)> _counts = [];
    private Task? _reading;

    private SessionStreamMeter(HttpClient http) => _http = http;

    public static async Task<SessionStreamMeter> StartAsync(HttpClient admin)
    {
        var meter = new SessionStreamMeter(admin);
        var response = await admin.GetAsync("/api/v1/dp/sessions/events", HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        meter._reading = meter.ReadAsync(response);
        return meter;
    }

    /// <summary>Counts so far, and when they were taken.</summary>
    public (long Timestamp, IReadOnlyDictionary<string, (int Events, long Bytes, int Largest)> Counts) Read()
    {
        lock (_lock)
        {
            return (Stopwatch.GetTimestamp(), new Dictionary<string, (int, long, int)>(_counts));
        }
    }

    private async Task ReadAsync(HttpResponseMessage response)
    {
        using (response)
        {
            try
            {
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(_stop.Token));
                var type = "message";
                var bytes = 0;
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    bytes += line.Length + 1;
                    if (line.StartsWith("event: ", StringComparison.Ordinal))
                    {
                        type = line["event: ".Length..];
                    }
                    else if (line.Length == 0 && bytes > 1)
                    {
                        lock (_lock)
                        {
                            var (events, total, largest) = _counts.GetValueOrDefault(type);
                            _counts[type] = (events + 1, total + bytes, Math.Max(largest, bytes));
                        }

                        type = "message";
                        bytes = 0;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // disposed
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_reading is not null)
        {
            await _reading;
        }

        _stop.Dispose();
        _http.Dispose();
    }
}
