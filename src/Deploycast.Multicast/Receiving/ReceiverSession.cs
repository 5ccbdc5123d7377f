using System.Collections.Concurrent;
using System.Security.Cryptography;
using Deploycast.Protocol.Crypto;
using Deploycast.Protocol.Fec;
using Deploycast.Protocol.Manifests;
using Deploycast.Protocol.Packets;
using Deploycast.Protocol.Transfer;

namespace Deploycast.Multicast.Receiving;

/// <summary>
/// The receiver's protocol state machine, free of sockets: a driver hands it every datagram from the group
/// (<see cref="OnDatagram"/>) and sends what <see cref="TryWriteStatus"/> produces to <see cref="SenderEndpointKnown"/>'s
/// sender. Heavy work (decode, hash, write) goes to an <see cref="IBlockProcessor"/>. Not thread-safe: one driver thread
/// owns it; the processor hands finished work back through a queue.
/// </summary>
public sealed partial class ReceiverSession : IDisposable
{
    private const byte NotReceived = 0;
    private const byte Partial = 1;
    private const byte InWork = 2;
    private const byte Done = 3;

    private readonly ReceiverOptions _options;
    private readonly TimeProvider _time;
    private readonly IReceiverStore _store;
    private readonly IBlockProcessor _processor;
    private readonly ConcurrentQueue<ReceiverWork> _finished = new();
    private readonly Random _random;
    private readonly Dictionary<int, PartialBlock> _partials = [];
    private readonly Stack<PartialBlock> _pool = new();
    private readonly ReedSolomonCodec?[] _codecs = new ReedSolomonCodec?[256];
    private readonly long[] _dropsByReason = new long[Enum.GetValues<PacketError>().Length];
    private readonly Stats _stats = new();

    private PacketCipher? _cipher;
    private byte[]? _cipherSalt;
    private BlockLayout? _layout;
    private byte[]? _manifestHash;
    private byte[]? _manifestBytes;
    private TransferManifest? _manifest;
    private byte[] _blockState = [];
    private int _partialBlocksCreated;
    private int _doneBlocks;
    private int _frontier;
    private int _statusCursor;
    private uint _sessionId;
    private uint _statusSequence;
    private long _nextStatus;
    private long _nextCheckpoint;
    private long _lastFromSender;
    private long _firstAuthFailure;
    private long _lastAck;
    private bool _authenticatedOnce;
    private bool _plaintextRefused;
    private bool _verifying;
    private bool _complete;
    private int _leftStatusesSent;
    private TimeSpan _statusInterval = TimeSpan.FromMilliseconds(50);

    internal ReceiverSession(IReceiverStore store, ReceiverOptions options, TimeProvider? time, Func<Action<ReceiverWork>, IBlockProcessor> processorFactory)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _store = store;
        _time = time ?? TimeProvider.System;
        _random = options.RandomSeed is { } seed ? new Random(seed) : new Random();
        ReceiverId = options.ReceiverId != 0 ? options.ReceiverId : (uint)_random.NextInt64(1, uint.MaxValue);
        var randomStart = (uint)_random.Next(1, int.MaxValue);
        _statusSequence = options.StatusSequenceStart != 0 ? options.StatusSequenceStart : randomStart;
        _processor = processorFactory(_finished.Enqueue);
        _lastFromSender = _time.GetTimestamp();
    }

    /// <summary>Creates a receiver whose block work runs on a dedicated thread.</summary>
    public ReceiverSession(IReceiverStore store, ReceiverOptions options, TimeProvider? time = null)
        : this(store, options, time, completed => new ThreadBlockProcessor(completed, capacity: 64))
    {
    }

    /// <summary>This receiver's id in the session (random per run).</summary>
    public uint ReceiverId { get; }

    /// <summary>True once an authenticated announcement has been heard, so statuses have somewhere to go.</summary>
    public bool SenderEndpointKnown => _layout is not null;

    /// <summary>True when the file is complete and verified (success) or the receiver failed; see <see cref="Failure"/>.</summary>
    public bool IsFinished { get; private set; }

    /// <summary>True while a receiver that failed still has "left" statuses to send, so the sender stops waiting for it.</summary>
    public bool HasFinalStatuses => Failure is not null && _leftStatusesSent < 3 && _layout is not null;

    /// <summary>True when the sender disconnected this receiver (slow-client policy).</summary>
    public bool Dismissed { get; private set; }

    /// <summary>When <see cref="Dismissed"/>: the distribution point lets this receiver fetch the rest by unicast.</summary>
    public bool FallBackToUnicast { get; private set; }

    /// <summary>Why the receiver failed, or null.</summary>
    public string? Failure { get; private set; }

    /// <summary>True when the whole file has been written, verified and flushed, with no I/O error on the way.</summary>
    public bool Succeeded => _complete && Failure is null && _processor.Fault is null;

    /// <summary>True while the whole file is being verified.</summary>
    public bool Verifying => _verifying;

    /// <summary>The session's name as the sender announced it.</summary>
    public string Name { get; private set; } = string.Empty;

    /// <summary>Size of the file, once known.</summary>
    public long FileSize => _layout?.FileSize ?? 0;

    /// <summary>File bytes written and verified so far.</summary>
    public long BytesDone { get; private set; }

    /// <summary>Bytes that were already verified when the receiver resumed.</summary>
    public long BytesResumed { get; private set; }

    /// <summary>Bytes of all-zero blocks, which the sender never sends (the store fills them).</summary>
    public long BytesZero { get; private set; }

    /// <summary>The sender's announced state.</summary>
    public SessionState SenderState { get; private set; }

    /// <summary>The rate the sender announced, bits per second.</summary>
    public double SenderRateBitsPerSecond { get; private set; }

    /// <summary>Loss this receiver has measured over the session (0..1).</summary>
    public double LongRunLoss => _stats.LongRunLoss;

    /// <summary>Sender packets received.</summary>
    public long PacketsReceived => _stats.TotalReceived;

    /// <summary>Datagrams dropped, by reason.</summary>
    public IReadOnlyDictionary<PacketError, long> Drops =>
        Enum.GetValues<PacketError>().Where(e => _dropsByReason[(int)e] > 0).ToDictionary(e => e, e => _dropsByReason[(int)e]);

    /// <summary>Blocks that failed their hash after decoding and were fetched again.</summary>
    public long CorruptBlocks { get; private set; }

    /// <summary>Asks the receiver to leave: its next statuses say so, then it finishes with <paramref name="reason"/>.</summary>
    public void Leave(string reason) => Fail(reason);

    /// <summary>The earliest time the receiver has something to do without a datagram arriving.</summary>
    public long NextWakeup()
    {
        if (IsFinished && !HasFinalStatuses)
        {
            return long.MaxValue;
        }

        var timers = _time.GetTimestamp() + Ticks(TimeSpan.FromMilliseconds(50));
        return _nextStatus == 0 ? timers : Math.Min(_nextStatus, timers);
    }

    /// <summary>
    /// Handles one datagram from the group (decrypted in place). Returns true when it was a valid packet of the
    /// session's sender, whose address is then where statuses go.
    /// </summary>
    public bool OnDatagram(Span<byte> datagram, long now)
    {
        DrainFinished(now);
        if (IsFinished)
        {
            return false;
        }

        var error = HandleDatagram(datagram, now);
        if (error != PacketError.None)
        {
            _dropsByReason[(int)error]++;
            return false;
        }

        return true;
    }

    /// <summary>
    /// Writes a status packet when one is due and returns its length (0 when none is due). Also runs timers:
    /// checkpoints, sender silence, finished work.
    /// </summary>
    public int TryWriteStatus(Span<byte> destination, long now)
    {
        DrainFinished(now);
        if (IsFinished && !HasFinalStatuses)
        {
            return 0;
        }

        if (!IsFinished)
        {
            CheckTimers(now);
        }

        if (_layout is null || now < _nextStatus)
        {
            return 0;
        }

        var jitter = 0.8 + (_random.NextDouble() * 0.4);
        _nextStatus = now + (long)(Ticks(_statusInterval) * jitter);
        if (Failure is not null)
        {
            _leftStatusesSent++;
            _nextStatus = now + Ticks(TimeSpan.FromMilliseconds(20));
        }

        return WriteStatus(destination, now);
    }

    public void Dispose()
    {
        _processor.Dispose();
        _cipher?.Dispose();
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private uint MicrosecondsOf(long timestamp) => (uint)(long)((double)timestamp * 1_000_000 / _time.TimestampFrequency);

    private ReedSolomonCodec Codec(int k) => _codecs[k] ??= new ReedSolomonCodec(k);

    private void Fail(string reason)
    {
        if (!IsFinished)
        {
            Failure = reason;
            IsFinished = true;
            _nextStatus = _time.GetTimestamp();
        }
    }

    private void CheckTimers(long now)
    {
        if (_processor.Fault is { } fault)
        {
            Fail($"writing the output failed: {fault.Message}");
            return;
        }

        if (now - _lastFromSender > Ticks(_options.SenderTimeout))
        {
            Fail(_layout is null
                ? $"no sender heard on the group for {_options.SenderTimeout.TotalSeconds:0} s"
                : $"the sender has been silent for {_options.SenderTimeout.TotalSeconds:0} s (sender gone)");
            return;
        }

        if (_firstAuthFailure != 0 && !_authenticatedOnce && now - _firstAuthFailure > Ticks(_options.WrongKeyAfter))
        {
            Fail(_plaintextRefused
                ? "the session on the group is not encrypted but a key was given; refusing unauthenticated content"
                : "wrong key: packets on the group could not be authenticated with the given key");
            return;
        }

        if (_manifest is not null && now >= _nextCheckpoint && !_verifying && !_finishing && !_complete)
        {
            _nextCheckpoint = now + Ticks(_options.CheckpointInterval);
            _processor.Submit(new CheckpointWork(_store));
        }

        // A completed receiver waits briefly for the sender's ack, then finishes anyway: its file is verified.
        if (_complete && now - _lastAck > Ticks(TimeSpan.FromSeconds(2)) && _lastAck != 0)
        {
            IsFinished = true;
        }
    }

    private PacketError HandleDatagram(Span<byte> datagram, long now)
    {
        var error = PacketHeader.TryRead(datagram, out var header);
        if (error != PacketError.None)
        {
            return error;
        }

        if (header.SourceId != 0)
        {
            return PacketError.ForeignSession; // another receiver's status, or a peer that is not our sender
        }

        if (_sessionId == 0)
        {
            if (header.Type != PacketType.Announce || (_options.SessionId != 0 && header.SessionId != _options.SessionId))
            {
                return PacketError.ForeignSession;
            }
        }
        else if (header.SessionId != _sessionId)
        {
            return PacketError.ForeignSession;
        }

        var clearPrefix = header.Type == PacketType.Announce ? AnnounceMessage.ClearPrefixSize : 0;
        ReadOnlySpan<byte> payload;
        if (header.IsEncrypted)
        {
            if (_options.Key is not { } key)
            {
                if (header.Type == PacketType.Announce)
                {
                    Fail("the session is encrypted: give the session's key with --key-file");
                }

                return PacketError.EncryptionRequired;
            }

            if (header.Type == PacketType.Announce && datagram.Length >= PacketHeader.Size + clearPrefix)
            {
                var salt = datagram.Slice(PacketHeader.Size, PacketCipher.SaltSize);
                if (_cipherSalt is null || !salt.SequenceEqual(_cipherSalt))
                {
                    if (_sessionId != 0)
                    {
                        return PacketError.AuthenticationFailed; // a locked session never changes its salt
                    }

                    _cipher?.Dispose();
                    _cipher = PacketCipher.Create(key, salt);
                    _cipherSalt = salt.ToArray();
                }
            }

            if (_cipher is null || !_cipher.TryOpen(datagram, clearPrefix))
            {
                if (_firstAuthFailure == 0)
                {
                    _firstAuthFailure = now;
                }

                return PacketError.AuthenticationFailed;
            }

            _authenticatedOnce = true;
            payload = datagram[PacketHeader.Size..^PacketCipher.TagSize];
        }
        else
        {
            if (_options.Key is not null)
            {
                if (_firstAuthFailure == 0)
                {
                    _firstAuthFailure = now;
                }

                _plaintextRefused = true;
                return PacketError.NotEncrypted;
            }

            payload = datagram[PacketHeader.Size..];
        }

        _lastFromSender = now;
        _stats.OnSenderPacket(header.Sequence, datagram.Length);
        switch (header.Type)
        {
            case PacketType.Announce:
                return HandleAnnounce(header, payload, now);
            case PacketType.Data:
                if (_layout is null)
                {
                    return PacketError.ForeignSession;
                }

                return HandleData(payload, now);
            case PacketType.Ack:
                return HandleAck(payload, now);
            case PacketType.End:
                return HandleEnd(payload);
            case PacketType.Dismiss:
                return HandleDismiss(payload);
            default:
                return PacketError.UnknownType;
        }
    }

    private PacketError HandleAck(ReadOnlySpan<byte> payload, long now)
    {
        var error = AckMessage.TryRead(payload, out var ack);
        if (error != PacketError.None)
        {
            return error;
        }

        for (var i = 0; i < ack.Count; i++)
        {
            if (ack.GetId(i) == ReceiverId && _complete)
            {
                _lastAck = now;
                IsFinished = true;
            }
        }

        return PacketError.None;
    }

    private PacketError HandleDismiss(ReadOnlySpan<byte> payload)
    {
        var error = DismissMessage.TryRead(payload, out var receiverId, out var fallBack);
        if (error != PacketError.None)
        {
            return error;
        }

        if (receiverId == ReceiverId && !_complete && !_verifying && !_finishing && !IsFinished)
        {
            Dismissed = true;
            FallBackToUnicast = fallBack;
            Fail(fallBack
                ? "the distribution point disconnected this receiver as too slow for the session; it may fetch the rest by unicast"
                : "the distribution point disconnected this receiver as too slow for the session");
        }

        return PacketError.None;
    }

    private PacketError HandleEnd(ReadOnlySpan<byte> payload)
    {
        var error = EndMessage.TryRead(payload, out var reason);
        if (error != PacketError.None)
        {
            return error;
        }

        if (_complete)
        {
            IsFinished = true;
        }
        else if (!_verifying && !_finishing)
        {
            Fail(reason switch
            {
                EndReason.Cancelled => "the sender cancelled the session before the file was complete",
                EndReason.Failed => "the sender failed and ended the session before the file was complete",
                _ => "the sender ended the session before this receiver had the whole file",
            });
        }

        return PacketError.None;
    }

    private sealed class CheckpointWork(IReceiverStore store) : ReceiverWork
    {
        public override void Run() => store.Checkpoint();
    }

    private sealed class VerifyWork(IReceiverStore store, TransferManifest manifest) : ReceiverWork
    {
        public IReadOnlyList<int> BadBlocks { get; private set; } = [];

        /// <summary>False when the check did not run (an earlier I/O failure) or failed: never a pass.</summary>
        public bool Ran { get; private set; }

        public override void Run()
        {
            BadBlocks = store.VerifyFile(manifest, null);
            Ran = true;
        }
    }

    private sealed class BeginWork(IReceiverStore store, byte[] hash, byte[] bytes, TransferManifest manifest, uint receiverId) : ReceiverWork
    {
        public override void Run() => store.Begin(hash, bytes, manifest, receiverId);
    }

    /// <summary>Decodes, verifies and writes one block. One instance per pooled <see cref="PartialBlock"/>, reused.</summary>
    private sealed class DecodeWork(PartialBlock block, IReceiverStore store) : ReceiverWork
    {
        private ReedSolomonCodec? _codec;
        private BlockLayout? _layout;
        private TransferManifest? _manifest;

        public PartialBlock Block { get; } = block;

        public DecodeWork Prepare(ReedSolomonCodec codec, BlockLayout layout, TransferManifest? manifest)
        {
            _codec = codec;
            _layout = layout;
            _manifest = manifest;
            return this;
        }

        public override void Run()
        {
            var layout = _layout!;
            var b = Block.Block;
            Block.Succeeded = false;
            if (!Block.TryDecode(_codec!))
            {
                return;
            }

            var length = layout.BlockLength(b);
            if (layout.IsManifestBlock(b))
            {
                Block.Succeeded = true; // the manifest is checked whole against its announced hash
                return;
            }

            var fileBlock = b - layout.ManifestBlocks;
            if (_manifest is null || !_manifest.VerifyBlock(fileBlock, Block.Buffer.AsSpan(0, length)))
            {
                return;
            }

            store.WriteBlock(fileBlock, layout.ObjectOffset(b), Block.Buffer.AsSpan(0, length));
            Block.Succeeded = true;
        }
    }

    private static bool HashEquals(ReadOnlySpan<byte> data, ReadOnlySpan<byte> expected)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(data, hash);
        return hash.SequenceEqual(expected);
    }
}
