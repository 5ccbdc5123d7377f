using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Deploycast.Multicast.RateControl;
using Deploycast.Protocol.Crypto;
using Deploycast.Protocol.Fec;
using Deploycast.Protocol.Manifests;
using Deploycast.Protocol.Packets;
using Deploycast.Protocol.Transfer;

namespace Deploycast.Multicast.Sending;

/// <summary>
/// The sender's protocol state machine, free of sockets and threads: a driver hands it the datagrams that arrive
/// (<see cref="OnDatagram"/>) and asks it for the next datagram to send (<see cref="TryWriteNextPacket"/>), which
/// also paces. The same core runs over UDP and over the in-memory network in tests. Not thread-safe: one driver
/// thread owns it.
/// <para>
/// Sending order: announcements and acks when due; then repairs that non-slow receivers asked for on blocks they
/// have partly (and the manifest); then the first pass over all blocks, each with proactive parity sized from the
/// loss receivers share; then whole blocks that late joiners lack and repairs for slow receivers (the carousel).
/// Repairs are fresh symbols: each block's symbol ids advance through all 255 before any repeats.
/// </para>
/// </summary>
public sealed partial class SenderSession : IDisposable
{
    private const int BlockCacheSize = 16;
    private const int EndRepeats = 3;
    private static readonly TimeSpan IdleAnnounceInterval = TimeSpan.FromMilliseconds(10);

    private readonly SenderOptions _options;
    private readonly TimeProvider _time;
    private readonly BlockLayout _layout;
    private readonly byte[] _manifestBytes;
    private readonly TransferManifest _manifest;
    private readonly byte[] _manifestHash;
    private readonly ISenderContent _content;
    private readonly IReadOnlyList<ulong>? _checksums;
    private readonly PacketCipher? _cipher;
    private readonly byte[] _salt = new byte[PacketCipher.SaltSize];
    private readonly byte[] _nameUtf8;
    private readonly Random _random;
    private readonly RateController _rate;
    private readonly ReedSolomonCodec?[] _codecs = new ReedSolomonCodec?[256];
    private readonly CachedBlock[] _cache = new CachedBlock[BlockCacheSize];
    private readonly Dictionary<uint, ReceiverRecord> _receivers = [];
    private readonly List<ReceiverEvent> _pendingEvents = [];

    // Per-block sender state.
    private readonly byte[] _nextSymbol;
    private readonly uint[] _lastSentSequence;
    private readonly PendingSet _fastRepairs;
    private readonly PendingSet _slowRepairs;

    private readonly int _dataDatagramSize;
    private readonly long _startTimestamp;
    private long _transferStartTimestamp;
    private long _finishTimestamp;
    private long _nextAnnounce;
    private long _nextAck;
    private long _nextDismiss;
    private int _receiverRestarts;
    private long _lastRefill;
    private long _lastControl;
    private long _nextStatusCheck;
    private double _tokens;
    private bool _appLimited;
    private long _dataBytesSinceControl;
    private uint _sequenceAtDecrease;
    private bool _reportsSinceControl;
    private uint _sequence;
    private int _frontier;
    private int _runBlock = -1;
    private int _runRemaining;
    private bool _runIsFirstPass;
    private int _endSent;
    private long _endNext;
    private EndReason? _ending;
    private long _cacheClock;

    private long _datagramsSent;
    private long _bytesOnWire;
    private long _dataSymbols;
    private long _paritySymbols;
    private long _repairSymbols;
    private long _statusReceived;
    private long _dropped;

    public SenderSession(TransferManifest manifest, ISenderContent content, SenderOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = time ?? TimeProvider.System;
        _content = content;
        _checksums = content.BlockChecksums;
        _random = options.RandomSeed is { } seed ? new Random(seed) : new Random();
        SessionId = options.SessionId != 0 ? options.SessionId : (uint)_random.NextInt64(1, uint.MaxValue);
        var encrypted = options.Key is not null;
        SymbolSize = options.SymbolSize ?? MulticastDefaults.SymbolSizeFor(options.MaxDatagramSize, encrypted);
        if (manifest.BlockSize != SymbolSize * options.SymbolsPerBlock)
        {
            throw new ArgumentException($"the manifest's block size {manifest.BlockSize} differs from the session's {SymbolSize * options.SymbolsPerBlock}; build it with SenderSession.BlockSizeFor(options)", nameof(manifest));
        }

        if (manifest.FileSize != content.Length)
        {
            throw new ArgumentException($"the manifest describes {manifest.FileSize} bytes but the content has {content.Length}", nameof(content));
        }

        _manifest = manifest;
        _manifestBytes = manifest.Serialize();
        _manifestHash = SHA256.HashData(_manifestBytes);
        _layout = new BlockLayout(SymbolSize, options.SymbolsPerBlock, _manifestBytes.Length, content.Length);
        _nameUtf8 = Encoding.UTF8.GetBytes(options.Name);
        if (options.Key is { } key)
        {
            // Always from the system's CSPRNG, even with a test seed: a repeated salt would repeat keys and nonces.
            RandomNumberGenerator.Fill(_salt);
            _cipher = PacketCipher.Create(key, _salt);
        }

        _dataDatagramSize = PacketHeader.Size + DataMessage.FixedSize + SymbolSize + (encrypted ? PacketCipher.TagSize : 0);
        _nextSymbol = new byte[_layout.TotalBlocks];
        _lastSentSequence = new uint[_layout.TotalBlocks];
        _fastRepairs = new PendingSet(_layout.TotalBlocks);
        _slowRepairs = new PendingSet(_layout.TotalBlocks);
        for (var i = 0; i < _cache.Length; i++)
        {
            _cache[i] = new CachedBlock(SymbolSize * options.SymbolsPerBlock);
        }

        _rate = new RateController(
            Math.Min(options.InitialRate, options.MaxRate ?? long.MaxValue),
            options.MinRate,
            options.MaxRate,
            options.TargetQueueDelay);
        _startTimestamp = _time.GetTimestamp();
        _nextAnnounce = _startTimestamp;
        _lastRefill = _startTimestamp;
        _lastControl = _startTimestamp;
    }

    /// <summary>The block size a manifest must use for a session with <paramref name="options"/>.</summary>
    public static int BlockSizeFor(SenderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return (options.SymbolSize ?? MulticastDefaults.SymbolSizeFor(options.MaxDatagramSize, options.Key is not null)) * options.SymbolsPerBlock;
    }

    public uint SessionId { get; }

    public int SymbolSize { get; }

    public SessionState State { get; private set; } = SessionState.Waiting;

    /// <summary>True once the end of the session has been announced; the driver may stop.</summary>
    public bool IsFinished { get; private set; }

    /// <summary>How the session ended, once <see cref="IsFinished"/>.</summary>
    public EndReason? EndReason => IsFinished ? _ending : null;

    /// <summary>
    /// Bytes the pacer allowed but the sender did not send in time (it woke up late, or had nothing to send): what a
    /// busy host costs the transfer.
    /// </summary>
    public long PacingBytesForgone { get; private set; }

    /// <summary>Why the sender ended the session on its own (for example, the source changed), or null.</summary>
    public string? Failure { get; private set; }

    /// <summary>The current sending rate in bits per second.</summary>
    public double RateBitsPerSecond => _rate.Rate;

    /// <summary>Size of every data datagram (all data datagrams have this size, which lets drivers batch them).</summary>
    public int DataDatagramSize => _dataDatagramSize;

    /// <summary>Blocks in the session, manifest included.</summary>
    public int TotalBlocks => _layout.TotalBlocks;

    /// <summary>Blocks the first pass has sent.</summary>
    public int Frontier => SentFrontier;

    /// <summary>
    /// Blocks whose first-pass symbols have all been sent. The block whose first-pass run is still going is not
    /// below it: receivers lack its later symbols because they are not sent yet, not because they were lost.
    /// </summary>
    private int SentFrontier => _runIsFirstPass && _runRemaining > 0 ? _frontier - 1 : _frontier;

    /// <summary>Receivers that have joined (in any state).</summary>
    public int ReceiverCount => _receivers.Count;

    /// <summary>Receiver events since the last call, oldest first.</summary>
    public IReadOnlyList<ReceiverEvent> TakeEvents()
    {
        if (_pendingEvents.Count == 0)
        {
            return [];
        }

        var events = _pendingEvents.ToArray();
        _pendingEvents.Clear();
        return events;
    }

    /// <summary>Asks the session to end now (operator cancel); the next packets announce the end.</summary>
    public void Cancel()
    {
        if (_ending is null)
        {
            BeginEnd(Protocol.Packets.EndReason.Cancelled);
        }
    }

    /// <summary>
    /// Ends the session: with "completed" when every receiver that joined has the whole file, otherwise "cancelled".
    /// Receivers that completed are acked before the end.
    /// </summary>
    public void Finish()
    {
        if (_ending is null)
        {
            var allDone = _receivers.Values.All(r => r.CompletedTimestamp != 0 || r.Replaced || r.Dismissed);
            BeginEnd(allDone ? Protocol.Packets.EndReason.Completed : Protocol.Packets.EndReason.Cancelled);
        }
    }

    /// <summary>
    /// Tells receiver <paramref name="receiverId"/> to leave (the slow-client policy), repeated for a second so a lost
    /// packet does not keep it; it no longer paces the group or gets repairs. False when no such receiver is active.
    /// </summary>
    public bool Dismiss(uint receiverId, bool fallBackToUnicast)
    {
        if (_ending is not null || !_receivers.TryGetValue(receiverId, out var receiver) || !receiver.IsActive)
        {
            return false;
        }

        var now = _time.GetTimestamp();
        receiver.State = ReceiverState.Left;
        receiver.Dismissed = true;
        receiver.DismissFallBack = fallBackToUnicast;
        receiver.DismissUntil = now + Ticks(AckFor);
        _nextDismiss = now;
        _pendingEvents.Add(new ReceiverEvent(ReceiverEventKind.Dismissed, receiverId, $"receiver {receiverId:x8} was disconnected{(fallBackToUnicast ? "; it may fall back to unicast" : string.Empty)}"));
        return true;
    }

    /// <summary>The earliest timestamp at which <see cref="TryWriteNextPacket"/> may have something to send.</summary>
    public long NextWakeup(long now)
    {
        var wake = Math.Min(_nextAnnounce, _nextStatusCheck);
        if (_ending is not null)
        {
            return Math.Min(wake, _endNext);
        }

        if (_nextAck != 0)
        {
            wake = Math.Min(wake, _nextAck);
        }

        if (_nextDismiss != 0)
        {
            wake = Math.Min(wake, _nextDismiss);
        }

        if (State == SessionState.Transferring && HasDataToSend())
        {
            var deficit = _dataDatagramSize - _tokens;
            var ticks = deficit <= 0 ? 0 : (long)(deficit * 8 / _rate.Rate * _time.TimestampFrequency) + 1;
            wake = Math.Min(wake, now + ticks);
        }
        else if (State == SessionState.Waiting && now < _startTimestamp + Ticks(_options.MaxWait))
        {
            wake = Math.Min(wake, _startTimestamp + Ticks(_options.MaxWait));
        }

        return wake;
    }

    /// <summary>
    /// Writes the next datagram due at <paramref name="now"/> into <paramref name="destination"/> (at least
    /// <see cref="PacketHeader.MaxDatagramSize"/> bytes is always enough) and returns its length, or 0 when nothing
    /// is due (the pacer is waiting, or there is nothing to send).
    /// </summary>
    public int TryWriteNextPacket(Span<byte> destination, long now)
    {
        if (IsFinished)
        {
            return 0;
        }

        CheckReceivers(now);
        if (_ending is not null)
        {
            return WriteEnding(destination, now);
        }

        if (now >= _nextAnnounce)
        {
            _nextAnnounce = now + Ticks(_options.AnnounceInterval);
            return Count(WriteAnnounce(destination));
        }

        if (_nextAck != 0 && now >= _nextAck)
        {
            var length = WriteAck(destination, now, includeAll: false);
            _nextAck = length > 0 ? now + Ticks(_options.AnnounceInterval) : 0;
            if (length > 0)
            {
                return Count(length);
            }
        }

        if (_nextDismiss != 0 && now >= _nextDismiss)
        {
            var length = WriteDismiss(destination, now);
            if (length > 0)
            {
                return Count(length);
            }
        }

        if (State == SessionState.Waiting)
        {
            MaybeStart(now);
            return 0;
        }

        RefillTokens(now);
        if (_tokens < _dataDatagramSize)
        {
            return 0;
        }

        if (!TryPickSymbol(out var block, out var symbol))
        {
            // Nothing to send while receivers are still missing something: their last repairs were lost. Announce
            // often, so their sequence numbers move past those repairs and their next status asks again at once,
            // instead of a repair round costing a whole announce interval.
            _appLimited = true;
            _nextAnnounce = Math.Min(_nextAnnounce, now + Ticks(IdleAnnounceInterval));
            return 0;
        }

        _tokens -= _dataDatagramSize;
        _dataBytesSinceControl += _dataDatagramSize;
        return Count(WriteData(destination, block, symbol, now));
    }

    /// <summary>Handles one datagram that arrived for the sender (status packets from receivers).</summary>
    public void OnDatagram(Span<byte> datagram, long now)
    {
        if (PacketHeader.TryRead(datagram, out var header) != PacketError.None
            || header.Type != PacketType.Status
            || header.SessionId != SessionId
            || header.SourceId == 0)
        {
            _dropped++;
            return;
        }

        ReadOnlySpan<byte> body;
        if (_cipher is not null)
        {
            if (!header.IsEncrypted || !_cipher.TryOpen(datagram, 0))
            {
                _dropped++;
                return;
            }

            body = datagram[PacketHeader.Size..^PacketCipher.TagSize];
        }
        else
        {
            if (header.IsEncrypted)
            {
                _dropped++;
                return;
            }

            body = datagram[PacketHeader.Size..];
        }

        if (StatusMessage.TryRead(body, out var status) != PacketError.None)
        {
            _dropped++;
            return;
        }

        _statusReceived++;
        HandleStatus(header.SourceId, header.Sequence, status, now);
    }

    /// <summary>A snapshot of the session's counters and receivers.</summary>
    public SenderSummary GetSummary(long now)
    {
        var start = _transferStartTimestamp != 0 ? _transferStartTimestamp : now;
        var end = _finishTimestamp != 0 ? _finishTimestamp : now;
        var receivers = _receivers.Values
            .Where(r => !r.Replaced)
            .OrderBy(r => r.JoinTimestamp)
            .Select(r => r.ToReport(_layout.TotalBlocks, _transferStartTimestamp, _time.TimestampFrequency))
            .ToArray();
        return new SenderSummary(
            _layout.FileSize,
            TimeSpan.FromSeconds((double)Math.Max(0, end - start) / _time.TimestampFrequency),
            _datagramsSent,
            _bytesOnWire,
            _dataSymbols,
            _paritySymbols,
            _repairSymbols,
            _statusReceived,
            _dropped,
            _rate.Rate,
            _rate.Decreases,
            receivers)
        {
            ReceiverRestarts = _receiverRestarts,
        };
    }

    public void Dispose() => _cipher?.Dispose();

    private int Count(int length)
    {
        if (length > 0)
        {
            _datagramsSent++;
            _bytesOnWire += length;
        }

        return length;
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private uint MicrosecondsOf(long timestamp) => (uint)(long)((double)timestamp * 1_000_000 / _time.TimestampFrequency);

    private void MaybeStart(long now)
    {
        var active = _receivers.Values.Count(r => r.IsActive);
        var waited = now - _startTimestamp >= Ticks(_options.MaxWait);
        if (active >= _options.MinReceivers || (waited && active > 0))
        {
            State = SessionState.Transferring;
            _transferStartTimestamp = now;
            _lastRefill = now;
            _tokens = _dataDatagramSize;
            _nextAnnounce = now;
        }
    }

    private void RefillTokens(long now)
    {
        var elapsed = (double)(now - _lastRefill) / _time.TimestampFrequency;
        _lastRefill = now;
        var bytesPerSecond = _rate.Rate / 8;
        // Up to 4 ms of sending may be made up after a late wake-up (a busy host oversleeps its 1 ms timer); more
        // than that is dropped rather than sent as one burst that a shallow switch buffer would overflow.
        var burst = Math.Max(8.0 * _dataDatagramSize, bytesPerSecond * 0.004);
        var refilled = _tokens + (elapsed * bytesPerSecond);
        if (refilled > burst)
        {
            PacingBytesForgone += (long)(refilled - burst);
        }

        _tokens = Math.Min(burst, refilled);
    }

    private bool HasDataToSend() =>
        _runRemaining > 0 || !_fastRepairs.IsEmpty || _frontier < _layout.TotalBlocks || !_slowRepairs.IsEmpty;

    private bool TryPickSymbol(out int block, out byte symbol)
    {
        if (_runRemaining <= 0 && !StartRun())
        {
            block = -1;
            symbol = 0;
            return false;
        }

        block = _runBlock;
        symbol = _nextSymbol[block];
        _nextSymbol[block] = (byte)(symbol == 254 ? 0 : symbol + 1);
        _runRemaining--;
        return true;
    }

    private bool StartRun()
    {
        _runIsFirstPass = false;
        if (_fastRepairs.TryTakeNext(out var block, out var need))
        {
            _runBlock = block;
            _runRemaining = need + ExtraFor(need);
            _repairSymbols += _runRemaining;
            return true;
        }

        // All-zero file blocks are never sent: receivers fill them from the manifest.
        while (_frontier < _layout.TotalBlocks && !_layout.IsManifestBlock(_frontier) && _manifest.IsZeroBlock(_frontier - _layout.ManifestBlocks))
        {
            _frontier++;
        }

        if (_frontier < _layout.TotalBlocks)
        {
            block = _frontier++;
            var k = _layout.SourceSymbols(block);
            _runBlock = block;
            _runIsFirstPass = true;
            _runRemaining = k + ProactiveParity(k);
            _paritySymbols += _runRemaining - k;
            return true;
        }

        if (_slowRepairs.TryTakeNext(out block, out need))
        {
            _runBlock = block;
            _runRemaining = need + ExtraFor(need);
            _repairSymbols += _runRemaining;
            return true;
        }

        return false;
    }

    /// <summary>Loss the pacing receivers share: the median of their long-run loss.</summary>
    private double SharedLoss()
    {
        Span<double> losses = stackalloc double[Math.Min(_receivers.Count, 256)];
        var n = 0;
        foreach (var receiver in _receivers.Values)
        {
            if (receiver.IsActive && !receiver.Slow && n < losses.Length)
            {
                losses[n++] = receiver.LongRunLoss;
            }
        }

        if (n == 0)
        {
            return 0;
        }

        losses = losses[..n];
        losses.Sort();
        return losses[n / 2];
    }

    private int ProactiveParity(int k)
    {
        var loss = Math.Min(SharedLoss(), 0.5);
        var parity = (int)Math.Round(k * loss / (1 - loss));
        return Math.Min(parity, 255 - k);
    }

    private int ExtraFor(int need)
    {
        var loss = Math.Min(SharedLoss(), 0.5);
        // Rounded, not ceiled: one extra symbol on every small repair would cost more than the rare second round.
        return (int)Math.Round(need * loss / (1 - loss));
    }

    private ReedSolomonCodec Codec(int k) => _codecs[k] ??= new ReedSolomonCodec(k);

    private int WriteData(Span<byte> destination, int block, byte symbol, long now)
    {
        var encrypted = _cipher is not null;
        var payloadLength = DataMessage.FixedSize + SymbolSize + (encrypted ? PacketCipher.TagSize : 0);
        var sequence = NextSequence();
        new PacketHeader(PacketType.Data, encrypted ? PacketFlags.Encrypted : PacketFlags.None, (ushort)payloadLength, SessionId, 0, sequence)
            .Write(destination);
        var body = destination[PacketHeader.Size..];
        DataMessage.WriteFixed(body, (uint)block, symbol, MicrosecondsOf(now));
        var symbolBytes = body.Slice(DataMessage.FixedSize, SymbolSize);
        var k = _layout.SourceSymbols(block);
        var source = GetBlock(block, k);
        if (symbol < k)
        {
            source.Slice(symbol * SymbolSize, SymbolSize).CopyTo(symbolBytes);
            _dataSymbols++;
        }
        else
        {
            Codec(k).EncodeParity(source, SymbolSize, symbol - k, symbolBytes);
        }

        _lastSentSequence[block] = sequence;
        var length = PacketHeader.Size + payloadLength;
        _cipher?.Seal(destination[..length], 0);
        return length;
    }

    private uint NextSequence()
    {
        // Sequence 0 is never used, so "never sent" can be told apart; wrapping would repeat nonces. The last
        // numbers are kept for the end of the session.
        if (_sequence >= uint.MaxValue - 64 && _ending is null)
        {
            FailSession("the session used all 2^32 sequence numbers; start a new session for the rest");
        }

        if (_sequence == uint.MaxValue)
        {
            ThrowHelper.ThrowInvalidOperation("the session used all 2^32 sequence numbers");
        }

        return ++_sequence;
    }

    /// <summary>Ends the session because the sender cannot go on, telling receivers it failed.</summary>
    public void FailSession(string reason)
    {
        if (_ending is null)
        {
            Failure = reason;
            BeginEnd(Protocol.Packets.EndReason.Failed);
        }
    }

    private ReadOnlySpan<byte> GetBlock(int block, int k)
    {
        CachedBlock? victim = null;
        foreach (var entry in _cache)
        {
            if (entry.Block == block)
            {
                entry.LastUse = ++_cacheClock;
                return entry.Buffer.AsSpan(0, k * SymbolSize);
            }

            if (victim is null || entry.LastUse < victim.LastUse)
            {
                victim = entry;
            }
        }

        var length = _layout.BlockLength(block);
        var buffer = victim!.Buffer.AsSpan(0, k * SymbolSize);
        var offset = _layout.ObjectOffset(block);
        if (_layout.IsManifestBlock(block))
        {
            _manifestBytes.AsSpan((int)offset, length).CopyTo(buffer);
        }
        else
        {
            try
            {
                _content.Read(offset, buffer[..length]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                buffer[..length].Clear();
                FailSession($"reading the source failed at byte {offset}: {e.Message}");
                victim.Block = -1;
                return buffer;
            }

            // The sender checks what it reads against the manifest too: if the file changed since it was hashed,
            // receivers would reject every such block forever; better to end the session and say why. A checksum
            // taken when the manifest was made does this at several GB/s; without one, the block's SHA-256 does.
            var fileBlock = block - _layout.ManifestBlocks;
            var good = _checksums is not null && fileBlock < _checksums.Count
                ? BlockChecksum.Compute(buffer[..length]) == _checksums[fileBlock]
                : _manifest.VerifyBlock(fileBlock, buffer[..length]);
            if (!good)
            {
                FailSession($"the source changed after it was hashed: block {fileBlock} (bytes {offset} to {offset + length}) no longer matches the manifest");
            }
        }

        buffer[length..].Clear();
        victim.Block = block;
        victim.LastUse = ++_cacheClock;
        return buffer;
    }

    private int WriteAnnounce(Span<byte> destination)
    {
        var encrypted = _cipher is not null;
        var message = new AnnounceMessage
        {
            KeySalt = _salt,
            State = State,
            SymbolSize = (ushort)SymbolSize,
            SymbolsPerBlock = (byte)_options.SymbolsPerBlock,
            StatusIntervalMilliseconds = (ushort)StatusInterval().TotalMilliseconds,
            FileSize = (ulong)_layout.FileSize,
            ManifestLength = (uint)_manifestBytes.Length,
            Frontier = (uint)SentFrontier,
            Receivers = (uint)_receivers.Count,
            RateKilobitsPerSecond = State == SessionState.Transferring ? (uint)Math.Min(uint.MaxValue, _rate.Rate / 1000) : 0,
            ManifestHash = _manifestHash,
            NameUtf8 = _nameUtf8,
        };
        var payloadLength = message.PayloadSize + (encrypted ? PacketCipher.TagSize : 0);
        new PacketHeader(PacketType.Announce, encrypted ? PacketFlags.Encrypted : PacketFlags.None, (ushort)payloadLength, SessionId, 0, NextSequence())
            .Write(destination);
        message.Write(destination[PacketHeader.Size..]);
        var length = PacketHeader.Size + payloadLength;
        _cipher?.Seal(destination[..length], AnnounceMessage.ClearPrefixSize);
        return length;
    }

    private int WriteAck(Span<byte> destination, long now, bool includeAll)
    {
        var capacity = (_options.MaxDatagramSize - PacketHeader.Size - AckMessage.FixedSize - PacketCipher.TagSize) / 4;
        Span<uint> ids = stackalloc uint[Math.Min(capacity, 2048)];
        var n = 0;
        foreach (var receiver in _receivers.Values)
        {
            var due = includeAll ? !receiver.IsActive : receiver.AckUntil >= now;
            if (due && n < ids.Length)
            {
                ids[n++] = receiver.Id;
            }
        }

        if (n == 0)
        {
            return 0;
        }

        var encrypted = _cipher is not null;
        var bodyLength = AckMessage.FixedSize + (n * 4);
        var payloadLength = bodyLength + (encrypted ? PacketCipher.TagSize : 0);
        new PacketHeader(PacketType.Ack, encrypted ? PacketFlags.Encrypted : PacketFlags.None, (ushort)payloadLength, SessionId, 0, NextSequence())
            .Write(destination);
        AckMessage.Write(destination[PacketHeader.Size..], ids[..n]);
        var length = PacketHeader.Size + payloadLength;
        _cipher?.Seal(destination[..length], 0);
        return length;
    }

    /// <summary>One dismissal that is due (one receiver per packet: dismissals are rare); schedules the next.</summary>
    private int WriteDismiss(Span<byte> destination, long now)
    {
        ReceiverRecord? due = null;
        var pending = false;
        foreach (var receiver in _receivers.Values)
        {
            if (receiver.DismissUntil < now)
            {
                continue;
            }

            if (due is null && receiver.NextDismiss <= now)
            {
                due = receiver;
            }
            else
            {
                pending = true;
            }
        }

        _nextDismiss = due is null && !pending ? 0 : now + Ticks(TimeSpan.FromMilliseconds(due is null ? 50 : 0));
        if (due is null)
        {
            return 0;
        }

        due.NextDismiss = now + Ticks(TimeSpan.FromMilliseconds(100));
        var encrypted = _cipher is not null;
        var payloadLength = DismissMessage.Size + (encrypted ? PacketCipher.TagSize : 0);
        new PacketHeader(PacketType.Dismiss, encrypted ? PacketFlags.Encrypted : PacketFlags.None, (ushort)payloadLength, SessionId, 0, NextSequence())
            .Write(destination);
        DismissMessage.Write(destination[PacketHeader.Size..], due.Id, due.DismissFallBack);
        var length = PacketHeader.Size + payloadLength;
        _cipher?.Seal(destination[..length], 0);
        return length;
    }

    private int WriteEnding(Span<byte> destination, long now)
    {
        if (now < _endNext)
        {
            return 0;
        }

        // Before each end packet, one last ack, so receivers that completed learn it even if the end is lost.
        if (_endSent % 2 == 0)
        {
            _endSent++;
            var ack = WriteAck(destination, now, includeAll: true);
            if (ack > 0)
            {
                return Count(ack);
            }
        }

        var encrypted = _cipher is not null;
        var payloadLength = EndMessage.Size + (encrypted ? PacketCipher.TagSize : 0);
        new PacketHeader(PacketType.End, encrypted ? PacketFlags.Encrypted : PacketFlags.None, (ushort)payloadLength, SessionId, 0, NextSequence())
            .Write(destination);
        EndMessage.Write(destination[PacketHeader.Size..], _ending!.Value);
        var length = PacketHeader.Size + payloadLength;
        _cipher?.Seal(destination[..length], 0);
        _endSent++;
        _endNext = now + Ticks(TimeSpan.FromMilliseconds(20));
        if (_endSent >= EndRepeats * 2)
        {
            IsFinished = true;
        }

        return Count(length);
    }

    private void BeginEnd(EndReason reason)
    {
        _ending = reason;
        _finishTimestamp = _time.GetTimestamp();
        _endNext = _finishTimestamp;
    }

    /// <summary>Interval each receiver reports at: bounded so all receivers together stay within the status budget.</summary>
    private TimeSpan StatusInterval()
    {
        var perReceiver = TimeSpan.FromSeconds((double)Math.Max(1, _receivers.Count) / _options.StatusBudgetPerSecond);
        var interval = perReceiver > _options.MinStatusInterval ? perReceiver : _options.MinStatusInterval;
        return interval < TimeSpan.FromSeconds(60) ? interval : TimeSpan.FromSeconds(60);
    }

    private sealed class CachedBlock(int size)
    {
        public readonly byte[] Buffer = GC.AllocateArray<byte>(size, pinned: true);
        public int Block = -1;
        public long LastUse;
    }
}
