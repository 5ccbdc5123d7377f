namespace Deploycast.Multicast.Receiving;

/// <summary>Protocol settings of a receiver. Immutable; start from <see cref="Default"/>.</summary>
public sealed record ReceiverOptions
{
    public static ReceiverOptions Default { get; } = new();

    /// <summary>32-byte pre-shared key; required for encrypted sessions, and then plaintext sessions are refused. Default null.</summary>
    public byte[]? Key { get; init; }

    /// <summary>Give up when the sender has been silent this long. Default 15 s.</summary>
    public TimeSpan SenderTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Give up when, for this long, every packet of the session failed authentication (a wrong key). Default 3 s.</summary>
    public TimeSpan WrongKeyAfter { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Blocks held partly received in memory at once; each takes up to two blocks of memory. Default 256.</summary>
    public int MaxPartialBlocks { get; init; } = 256;

    /// <summary>How often the block map is saved beside the output. Default 1 s.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest datagram the receiver sends (its status packets). Default 1472.</summary>
    public int MaxDatagramSize { get; init; } = MulticastDefaults.MaxDatagramSize;

    /// <summary>
    /// SHA-256 of the manifest this receiver accepts (32 bytes), learned over an authenticated channel such as the
    /// distribution point's HTTPS API; announcements of any other manifest are dropped. On a plaintext session this
    /// is what stops a stranger on the LAN from feeding other content. Default null (accept the first announced).
    /// </summary>
    public byte[]? ExpectedManifestHash { get; init; }

    /// <summary>
    /// This receiver's id in the session; 0 picks a random one. A distribution point assigns ids, so the sender's
    /// reports name the client. Default 0.
    /// </summary>
    public uint ReceiverId { get; init; }

    /// <summary>Only join this session id; 0 joins the first session heard on the group. Default 0.</summary>
    public uint SessionId { get; init; }

    /// <summary>Seed for the receiver's random choices (tests); null is unpredictable.</summary>
    public int? RandomSeed { get; init; }

    /// <summary>
    /// Tests: the status sequence to count on from (the first status carries this plus one); 0 starts at a random
    /// value, as every real run does.
    /// </summary>
    internal uint StatusSequenceStart { get; init; }

    internal void Validate()
    {
        if (Key is { Length: not 32 } key)
        {
            throw new ArgumentException($"Key must be 32 bytes, not {key.Length}.", nameof(Key));
        }

        if (ExpectedManifestHash is { Length: not 32 } hash)
        {
            throw new ArgumentException($"ExpectedManifestHash must be 32 bytes, not {hash.Length}.", nameof(ExpectedManifestHash));
        }

        if (MaxPartialBlocks < 4)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPartialBlocks), MaxPartialBlocks, "MaxPartialBlocks must be at least 4.");
        }

        if (MaxDatagramSize is < 256 or > 8972)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDatagramSize), MaxDatagramSize, "MaxDatagramSize must be between 256 and 8972 bytes.");
        }
    }
}
