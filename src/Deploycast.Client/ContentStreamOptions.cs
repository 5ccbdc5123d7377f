namespace Deploycast.Client;

/// <summary>Options of <see cref="PackageContentStream"/>.</summary>
public sealed record ContentStreamOptions
{
    /// <summary>The defaults.</summary>
    public static ContentStreamOptions Default { get; } = new();

    /// <summary>Site-key fingerprint the manifest signature must come from; null trusts the key the DP publishes over the pinned TLS channel. Default null.</summary>
    public string? SiteKeyFingerprint { get; init; }

    /// <summary>How the distribution point is named in messages. Default null: its address.</summary>
    public string? Source { get; init; }

    /// <summary>Blocks asked for in one range request (at least 1). Default 32.</summary>
    public int BlocksPerRange { get; init; } = DistributionPointContent.BlocksPerRange;

    /// <summary>
    /// How many times a range that fails (an HTTP error, a body that ends early, no answer in
    /// <see cref="RangeTimeout"/>, or a block that fails its hash) is fetched again before the stream fails. Default 3.
    /// </summary>
    public int RangeRetries { get; init; } = 3;

    /// <summary>Wait before the first retry of a range; the n-th retry waits n times as long. Default 0.5 s.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest time one range request may take, from sending it to its last byte. Default 2 minutes.</summary>
    public TimeSpan RangeTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The clock for retry delays and range timeouts. Default the system's.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
