using System.Globalization;
using Deploycast.Agent.Engine;
using Deploycast.Client;

namespace Deploycast.Agent.Content;

/// <summary>
/// Turns the downloader's progress into the step's: percent of the file and a sentence such as
/// <c>Receiving DC100001 by multicast: 63%, 41 MB/s</c> (or, for content streamed to its destination,
/// <c>Streaming DC100001 to /dev/sda: 63%, 41 MB/s</c>). Reports are passed on synchronously, on the thread that made
/// them, so a caller's progress handler sees them in order. The rate is measured over at least one second.
/// </summary>
internal sealed class DownloadProgressReporter(string packageId, IProgress<StepProgress>? inner, TimeProvider time, Action<string>? onPhase = null)
    : IProgress<DownloadProgress>
{
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(1);

    private readonly object _gate = new();
    private long _windowStart = time.GetTimestamp();
    private long _windowBytes = -1;
    private double? _rate;
    private string? _phase;

    /// <summary>The last percent reported.</summary>
    public int Percent { get; private set; }

    public void Report(DownloadProgress value)
    {
        StepProgress progress;
        lock (_gate)
        {
            if (!string.Equals(value.Phase, _phase, StringComparison.Ordinal))
            {
                _phase = value.Phase;
                _windowStart = time.GetTimestamp();
                _windowBytes = value.BytesDone;
                _rate = null;
                onPhase?.Invoke(value.Detail is null ? value.Phase : $"{value.Phase}: {value.Detail}");
            }

            var elapsed = time.GetElapsedTime(_windowStart);
            if (elapsed >= RateWindow && value.BytesDone >= _windowBytes)
            {
                _rate = (value.BytesDone - _windowBytes) / elapsed.TotalSeconds;
                _windowStart = time.GetTimestamp();
                _windowBytes = value.BytesDone;
            }

            // Percent never goes back within one download: a phase change (multicast, then unicast) keeps the count.
            var percent = value.TotalBytes <= 0 ? 100 : (int)Math.Clamp(value.BytesDone * 100 / value.TotalBytes, 0, 100);
            Percent = Math.Max(Percent, percent);
            progress = new StepProgress(Percent, Text(packageId, value, Percent, _rate));
        }

        inner?.Report(progress);
    }

    /// <summary>The sentence for one report.</summary>
    public static string Text(string packageId, DownloadProgress value, int percent, double? bytesPerSecond)
    {
        var rate = bytesPerSecond is { } r ? string.Create(CultureInfo.InvariantCulture, $", {r / 1e6:0.#} MB/s") : string.Empty;
        return value.Phase switch
        {
            "multicast" or "unicast" => string.Create(CultureInfo.InvariantCulture, $"Receiving {packageId} by {value.Phase}: {percent}%{rate}"),
            "streaming" => string.Create(CultureInfo.InvariantCulture, $"Streaming {packageId} to {value.Detail}: {percent}%{rate}"),
            "verifying" => string.Create(CultureInfo.InvariantCulture, $"Verifying {packageId}: {percent}%"),
            "wait" or "busy" => $"Waiting for a multicast session of {packageId}: {value.Detail}",
            _ => string.Create(CultureInfo.InvariantCulture, $"{value.Phase} {packageId}: {percent}%"),
        };
    }
}
