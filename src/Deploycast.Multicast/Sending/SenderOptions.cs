namespace Deploycast.Multicast.Sending;

/// <summary>Protocol settings of a sender. Immutable; start from <see cref="Default"/>.</summary>
public sealed record SenderOptions
{
    public static SenderOptions Default { get; } = new();

    /// <summary>Largest datagram sent. Default 1472 (a 1500-byte MTU); up to 8972 for jumbo frames.</summary>
    public int MaxDatagramSize { get; init; } = MulticastDefaults.MaxDatagramSize;

    /// <summary>
    /// Bytes of file per data packet; null uses the largest that fits <see cref="MaxDatagramSize"/> (smaller when
    /// encrypted, by the 16-byte tag). A distribution point fixes it at the encrypted size so one manifest (whose
    /// block size follows from it) serves encrypted and clear sessions alike. Default null.
    /// </summary>
    public int? SymbolSize { get; init; }

    /// <summary>
    /// End the session by itself once every receiver that joined is done. A distribution point turns this off and
    /// ends its sessions with <see cref="SenderSession.Finish"/> after they have been idle, so late clients can still
    /// join. Default true.
    /// </summary>
    public bool EndWhenReceiversDone { get; init; } = true;

    /// <summary>Source symbols per block (k, 1..200). Default 128.</summary>
    public int SymbolsPerBlock { get; init; } = MulticastDefaults.SymbolsPerBlock;

    /// <summary>Rate ceiling in bits per second; null lets the sender find the bottleneck itself. Default null.</summary>
    public long? MaxRate { get; init; }

    /// <summary>Rate floor in bits per second. Default 1 Mbit/s.</summary>
    public long MinRate { get; init; } = 1_000_000;

    /// <summary>Rate the transfer starts at before it probes upward. Default 40 Mbit/s (or the ceiling if lower).</summary>
    public long InitialRate { get; init; } = 40_000_000;

    /// <summary>
    /// Queueing delay the rate control keeps the bottleneck under: it probes upward while the group's delay is under
    /// half of it and backs off above it. Small enough to stay inside a shallow switch buffer. Default 4 ms.
    /// </summary>
    public TimeSpan TargetQueueDelay { get; init; } = TimeSpan.FromMilliseconds(4);

    /// <summary>Receivers to wait for before sending data. Default 1.</summary>
    public int MinReceivers { get; init; } = 1;

    /// <summary>Longest wait for <see cref="MinReceivers"/>; after it, data starts once one receiver has joined. Default 5 s.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>32-byte pre-shared key; when set every packet is sealed with AES-256-GCM. Default null (integrity only).</summary>
    public byte[]? Key { get; init; }

    /// <summary>Time between announcements. Default 200 ms.</summary>
    public TimeSpan AnnounceInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Shortest interval between one receiver's status packets. Default 25 ms.</summary>
    public TimeSpan MinStatusInterval { get; init; } = TimeSpan.FromMilliseconds(25);

    /// <summary>Status packets per second the sender accepts from all receivers together; bounds feedback. Default 1000.</summary>
    public int StatusBudgetPerSecond { get; init; } = 1000;

    /// <summary>A receiver silent this long is counted as lost. Default 10 s.</summary>
    public TimeSpan ReceiverTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Name announced to receivers (shown in their progress). Default empty.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>Session id; 0 picks a random one.</summary>
    public uint SessionId { get; init; }

    /// <summary>Seed for the sender's random choices (tests); null is unpredictable.</summary>
    public int? RandomSeed { get; init; }

    internal void Validate()
    {
        if (MaxDatagramSize is < 256 or > 8972)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDatagramSize), MaxDatagramSize, "MaxDatagramSize must be between 256 and 8972 bytes.");
        }

        if (SymbolSize is { } symbolSize && (symbolSize < 16 || symbolSize > MulticastDefaults.SymbolSizeFor(MaxDatagramSize, Key is not null)))
        {
            throw new ArgumentOutOfRangeException(nameof(SymbolSize), symbolSize, $"SymbolSize must be between 16 and {MulticastDefaults.SymbolSizeFor(MaxDatagramSize, Key is not null)} bytes (what fits MaxDatagramSize).");
        }

        if (SymbolsPerBlock is < 1 or > 200)
        {
            throw new ArgumentOutOfRangeException(nameof(SymbolsPerBlock), SymbolsPerBlock, "SymbolsPerBlock must be between 1 and 200.");
        }

        if (MaxRate is { } max && max < MinRate)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRate), max, $"MaxRate must be at least MinRate ({MinRate} bit/s).");
        }

        if (MinRate < 8_000)
        {
            throw new ArgumentOutOfRangeException(nameof(MinRate), MinRate, "MinRate must be at least 8000 bit/s.");
        }

        if (TargetQueueDelay < TimeSpan.FromMilliseconds(0.5) || TargetQueueDelay > TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(TargetQueueDelay), TargetQueueDelay, "TargetQueueDelay must be between 0.5 ms and 1 s.");
        }

        if (MinReceivers < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MinReceivers), MinReceivers, "MinReceivers must be at least 1.");
        }

        if (Key is { Length: not 32 } key)
        {
            throw new ArgumentException($"Key must be 32 bytes, not {key.Length}.", nameof(Key));
        }

        if (System.Text.Encoding.UTF8.GetByteCount(Name) > 255)
        {
            throw new ArgumentException("Name must be at most 255 bytes of UTF-8.", nameof(Name));
        }
    }
}
