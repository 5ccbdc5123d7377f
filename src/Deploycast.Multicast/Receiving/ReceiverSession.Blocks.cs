using System.Text;
using Deploycast.Protocol.Crypto;
using Deploycast.Protocol.Manifests;
using Deploycast.Protocol.Packets;
using Deploycast.Protocol.Transfer;

namespace Deploycast.Multicast.Receiving;

/// <summary>Announcements, symbols, finished work and status reports.</summary>
public sealed partial class ReceiverSession
{
    private byte[]? _manifestAssembly;
    private int _manifestBlocksDone;
    private uint _previousReceiverId;
    private readonly Dictionary<PartialBlock, DecodeWork> _decodeWork = new(ReferenceEqualityComparer.Instance);

    // File blocks received before the manifest: the symbols are kept (up to half the partial blocks, so the manifest's
    // own blocks always find room), and blocks already complete wait here to be decoded once the manifest says what
    // they must hash to. Dropping them instead left the blocks sent while the manifest was being repaired missing
    // whole until the carousel came round again after the first pass.
    private readonly List<PartialBlock> _awaitingManifest = [];
    private int _blocksBeforeManifest;

    private long _allBlocksTimestamp;
    private long _lastBlockInTimestamp;
    private bool _finishing;

    /// <summary>When the first data packet arrived (0: none yet).</summary>
    public long FirstDataTimestamp { get; private set; }

    /// <summary>Time from the last block verified to the whole file verified.</summary>
    public TimeSpan VerifyTime { get; private set; }

    /// <summary>
    /// Time from the last block's last needed symbol to that block written: how far decoding, hashing and writing ran
    /// behind the network at the end (the block thread's backlog).
    /// </summary>
    public TimeSpan WriteBehindTime { get; private set; }

    /// <summary>Symbols that arrived for blocks already complete (the price of serving others' repairs).</summary>
    public long UnneededSymbols { get; private set; }

    private PacketError HandleAnnounce(in PacketHeader header, ReadOnlySpan<byte> payload, long now)
    {
        var error = AnnounceMessage.TryRead(payload, out var announce);
        if (error != PacketError.None)
        {
            return error;
        }

        if (_layout is null)
        {
            // Authenticated is not the same as sane: a plaintext session can be spoken by anyone on the LAN.
            if (announce.SymbolSize is < 16 or > PacketHeader.MaxDatagramSize || announce.SymbolsPerBlock > 200
                || announce.ManifestLength > MaxManifestLength || announce.FileSize > MaxFileSize)
            {
                return PacketError.Malformed;
            }

            if (_options.ExpectedManifestHash is { } expected && !announce.ManifestHash.SequenceEqual(expected))
            {
                return PacketError.ForeignSession;
            }

            BlockLayout layout;
            try
            {
                layout = new BlockLayout(announce.SymbolSize, announce.SymbolsPerBlock, announce.ManifestLength, (long)announce.FileSize);
            }
            catch (Exception e) when (e is ArgumentException or OverflowException)
            {
                return PacketError.Malformed;
            }

            _sessionId = header.SessionId;
            _layout = layout;
            _manifestHash = announce.ManifestHash.ToArray();
            _blockState = new byte[_layout.TotalBlocks];
            _manifestAssembly = new byte[_layout.ManifestLength];
            Name = Encoding.UTF8.GetString(announce.NameUtf8);
            _nextStatus = now;
            if (TryResume(out var manifestBytes, out var verified, out var previousId)
                && HashEquals(manifestBytes, _manifestHash))
            {
                _previousReceiverId = previousId;
                for (var b = 0; b < _layout.ManifestBlocks; b++)
                {
                    _blockState[b] = Done;
                }

                _manifestBlocksDone = _layout.ManifestBlocks;
                SetManifest(manifestBytes, verified, now);
            }
        }
        else if (!announce.ManifestHash.SequenceEqual(_manifestHash))
        {
            return PacketError.Malformed;
        }

        _frontier = (int)Math.Min(Math.Max(_frontier, announce.Frontier), _layout.TotalBlocks);
        SenderState = announce.State;
        SenderRateBitsPerSecond = announce.RateKilobitsPerSecond * 1000d;
        _statusInterval = TimeSpan.FromMilliseconds(Math.Max((int)announce.StatusIntervalMilliseconds, 1));
        return PacketError.None;
    }

    /// <summary>Largest manifest accepted: enough for a 4 TiB image at the smallest blocks.</summary>
    private const long MaxManifestLength = 256L << 20;

    /// <summary>Largest file accepted (16 TiB).</summary>
    private const ulong MaxFileSize = 16UL << 40;

    private bool TryResume(out byte[] manifest, out bool[] verified, out uint previousId)
    {
        try
        {
            return _store.TryResume(_manifestHash, out manifest, out verified, out previousId);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unreadable block map is not worth failing for: the file is fetched from the start.
            manifest = [];
            verified = [];
            previousId = 0;
            return false;
        }
    }

    private void SetManifest(byte[] bytes, bool[]? verified, long now)
    {
        var manifest = TransferManifest.TryParse(bytes, out var error);
        if (manifest is null || manifest.FileSize != _layout!.FileSize || manifest.BlockSize != _layout.BlockSize)
        {
            Fail($"the sender's manifest is inconsistent: {error ?? "its size or block size differs from the announcement"}");
            return;
        }

        _manifestBytes = bytes;
        _manifest = manifest;
        if (verified is not null && verified.Length == _layout.FileBlocks)
        {
            for (var fileBlock = 0; fileBlock < verified.Length; fileBlock++)
            {
                if (verified[fileBlock])
                {
                    _blockState[_layout.ManifestBlocks + fileBlock] = Done;
                    _doneBlocks++;
                    BytesDone += manifest.BlockLength(fileBlock);
                }
            }

            BytesResumed = BytesDone;
        }

        // All-zero blocks are never sent: the store fills them (see IReceiverStore.Begin).
        for (var fileBlock = 0; fileBlock < _layout.FileBlocks; fileBlock++)
        {
            var block = _layout.ManifestBlocks + fileBlock;
            if (manifest.IsZeroBlock(fileBlock) && _blockState[block] != Done)
            {
                if (_blockState[block] == Partial && _partials.Remove(block, out var stray))
                {
                    _pool.Push(stray);
                }

                _blockState[block] = Done;
                _doneBlocks++;
                BytesDone += manifest.BlockLength(fileBlock);
                BytesZero += manifest.BlockLength(fileBlock);
            }
        }

        _processor.Submit(new BeginWork(_store, _manifestHash!, bytes, manifest, ReceiverId));

        // Blocks completed before the manifest are decoded now, after the store has begun (work runs in order).
        foreach (var waiting in _awaitingManifest)
        {
            if (_blockState[waiting.Block] == InWork)
            {
                SubmitDecode(waiting);
            }
            else
            {
                _pool.Push(waiting);
            }
        }

        _awaitingManifest.Clear();
        _blocksBeforeManifest = 0;
        _nextCheckpoint = now + Ticks(_options.CheckpointInterval);
        CheckComplete();
    }

    private PacketError HandleData(ReadOnlySpan<byte> payload, long now)
    {
        var layout = _layout!;
        var error = DataMessage.TryRead(payload, layout.SymbolSize, out var data);
        if (error != PacketError.None)
        {
            return error;
        }

        if (data.Block >= (uint)layout.TotalBlocks)
        {
            return PacketError.Malformed;
        }

        _stats.OnData(MicrosecondsOf(now), data.SendTimeMicroseconds, now);
        if (FirstDataTimestamp == 0)
        {
            FirstDataTimestamp = now;
        }

        var block = (int)data.Block;
        var state = _blockState[block];
        if (state >= InWork)
        {
            UnneededSymbols++;
            return PacketError.None;
        }

        var beforeManifest = _manifest is null && !layout.IsManifestBlock(block);
        if (state == NotReceived)
        {
            if ((beforeManifest && _blocksBeforeManifest >= _options.MaxPartialBlocks / 2) || !TryRentPartial(out var fresh))
            {
                UnneededSymbols++;
                return PacketError.None;
            }

            if (beforeManifest)
            {
                _blocksBeforeManifest++;
            }

            fresh.Reset(block, layout.SourceSymbols(block));
            _partials.Add(block, fresh);
            _blockState[block] = Partial;
        }

        var partial = _partials[block];
        if (!partial.TryAdd(data.SymbolId, data.Symbol))
        {
            UnneededSymbols++;
            return PacketError.None;
        }

        if (partial.IsComplete)
        {
            _partials.Remove(block);
            _blockState[block] = InWork;
            _lastBlockInTimestamp = now;
            if (beforeManifest)
            {
                _awaitingManifest.Add(partial);
            }
            else
            {
                SubmitDecode(partial);
            }
        }

        return PacketError.None;
    }

    private void SubmitDecode(PartialBlock partial) =>
        _processor.Submit(_decodeWork[partial].Prepare(Codec(partial.SourceSymbols), _layout!, _manifest));

    private bool TryRentPartial(out PartialBlock partial)
    {
        if (_pool.TryPop(out partial!))
        {
            return true;
        }

        if (_partialBlocksCreated < _options.MaxPartialBlocks)
        {
            _partialBlocksCreated++;
            partial = new PartialBlock(_layout!.SymbolSize, _layout.SymbolsPerBlock);
            _decodeWork.Add(partial, new DecodeWork(partial, _store));
            return true;
        }

        return false;
    }

    private void DrainFinished(long now)
    {
        while (_finished.TryDequeue(out var work))
        {
            switch (work)
            {
                case DecodeWork decode:
                    FinishBlock(decode.Block, now);
                    break;
                case VerifyWork verify:
                    FinishVerify(verify, now);
                    break;
                case CompleteWork complete:
                    FinishComplete(complete, now);
                    break;
            }
        }
    }

    private void FinishBlock(PartialBlock partial, long now)
    {
        var layout = _layout!;
        var block = partial.Block;
        if (!partial.Succeeded)
        {
            // Decoding failed or the block did not match its SHA-256: nothing was written; fetch it again.
            CorruptBlocks++;
            _blockState[block] = NotReceived;
        }
        else if (layout.IsManifestBlock(block))
        {
            partial.Buffer.AsSpan(0, layout.BlockLength(block)).CopyTo(_manifestAssembly.AsSpan((int)layout.ObjectOffset(block)));
            _blockState[block] = Done;
            if (++_manifestBlocksDone == layout.ManifestBlocks)
            {
                if (HashEquals(_manifestAssembly, _manifestHash))
                {
                    SetManifest(_manifestAssembly!, null, now);
                }
                else
                {
                    CorruptBlocks += layout.ManifestBlocks;
                    _manifestBlocksDone = 0;
                    _blockState.AsSpan(0, layout.ManifestBlocks).Clear();
                }
            }
        }
        else
        {
            _blockState[block] = Done;
            _doneBlocks++;
            BytesDone += layout.BlockLength(block);
            CheckComplete();
        }

        _pool.Push(partial);
    }

    private void CheckComplete()
    {
        if (_manifest is not null && !_verifying && !_finishing && !_complete && _doneBlocks == _layout!.FileBlocks)
        {
            _verifying = true;
            _allBlocksTimestamp = _time.GetTimestamp();
            WriteBehindTime = _lastBlockInTimestamp == 0 ? TimeSpan.Zero : _time.GetElapsedTime(_lastBlockInTimestamp, _allBlocksTimestamp);
            _processor.Submit(new CheckpointWork(_store));
            _processor.Submit(new VerifyWork(_store, _manifest));
        }
    }

    private void FinishVerify(VerifyWork verify, long now)
    {
        _verifying = false;
        var layout = _layout!;
        if (!verify.Ran)
        {
            Fail($"verifying the output failed: {_processor.Fault?.Message ?? "the check did not run"}");
            return;
        }

        if (verify.BadBlocks.Count == 0)
        {
            // Complete only once the file is flushed and the map dropped (CompleteWork), so a failing final
            // flush is a failure, not a success reported too early.
            _finishing = true;
            _processor.Submit(new CompleteWork(_store));
            return;
        }

        foreach (var fileBlock in verify.BadBlocks)
        {
            var block = layout.ManifestBlocks + fileBlock;
            if (_blockState[block] == Done)
            {
                _blockState[block] = NotReceived;
                _doneBlocks--;
                BytesDone -= layout.BlockLength(block);
                CorruptBlocks++;
            }
        }
    }

    private int WriteStatus(Span<byte> destination, long now)
    {
        var encrypted = _cipher is not null;
        var state = Failure is not null ? ReceiverState.Left
            : _complete ? ReceiverState.Complete
            : SenderState == SessionState.Transferring ? ReceiverState.Receiving
            : ReceiverState.Joining;
        var snapshot = _stats.Snapshot(now, MicrosecondsOf(now), _time.TimestampFrequency);
        var message = new StatusMessage
        {
            State = state,
            HighestSequence = _stats.HighestSequence,
            BlocksDone = (uint)(_doneBlocks + _manifestBlocksDone),
            RateKilobitsPerSecond = (uint)Math.Min(uint.MaxValue, snapshot.RateBitsPerSecond / 1000),
            RecentLoss = (ushort)Math.Round(snapshot.RecentLoss * 10000),
            LongRunLoss = (ushort)Math.Round(_stats.LongRunLoss * 10000),
            QueueDelayMicroseconds = snapshot.QueueDelayMicroseconds,
            EchoSendTime = _stats.LastSendTime,
            EchoHoldTime = _stats.LastSendTime == 0 ? 0 : MicrosecondsOf(now - _stats.LastDataTimestamp),
            PreviousReceiverId = _previousReceiverId,
        };
        var body = destination[PacketHeader.Size..];
        var rangeCount = 0;
        if (state == ReceiverState.Receiving && !_verifying)
        {
            var capacity = _options.MaxDatagramSize - PacketHeader.Size - (encrypted ? PacketCipher.TagSize : 0);
            rangeCount = WriteNeeds(body, StatusMessage.MaxRanges(capacity));
        }

        message.WriteFixed(body, rangeCount);
        var bodyLength = StatusMessage.FixedSize + (rangeCount * NeedRange.Size);
        var payloadLength = bodyLength + (encrypted ? PacketCipher.TagSize : 0);
        new PacketHeader(PacketType.Status, encrypted ? PacketFlags.Encrypted : PacketFlags.None, (ushort)payloadLength, _sessionId, ReceiverId, ++_statusSequence)
            .Write(destination);
        var length = PacketHeader.Size + payloadLength;
        _cipher?.Seal(destination[..length], 0);
        return length;
    }

    /// <summary>
    /// Lists blocks the sender has passed that are not yet received, as runs of equal need, starting where the last
    /// status stopped so that a long list is reported in turns.
    /// </summary>
    private int WriteNeeds(Span<byte> body, int maxRanges)
    {
        var layout = _layout!;
        var limit = _manifest is null ? Math.Min(_frontier, layout.ManifestBlocks) : _frontier;
        if (limit == 0)
        {
            return 0;
        }

        var count = 0;
        var start = _statusCursor < limit ? _statusCursor : 0;
        var runStart = -1;
        var runNeed = 0;
        var scanned = 0;
        var b = start;
        for (; scanned < limit && count < maxRanges; scanned++, b = b + 1 == limit ? 0 : b + 1)
        {
            var need = NeedOf(b);
            if (b == 0 && runStart >= 0)
            {
                // Runs do not wrap around the end of the session.
                StatusMessage.WriteRange(body, count++, new NeedRange((uint)runStart, (ushort)(limit - runStart), (byte)runNeed));
                runStart = -1;
                if (count == maxRanges)
                {
                    break;
                }
            }

            if (runStart >= 0 && (need != runNeed || b - runStart == ushort.MaxValue))
            {
                StatusMessage.WriteRange(body, count++, new NeedRange((uint)runStart, (ushort)(b - runStart), (byte)runNeed));
                runStart = -1;
                if (count == maxRanges)
                {
                    break;
                }
            }

            if (need > 0 && runStart < 0)
            {
                runStart = b;
                runNeed = need;
            }
        }

        if (runStart >= 0 && count < maxRanges)
        {
            var end = b <= runStart ? limit : b;
            StatusMessage.WriteRange(body, count++, new NeedRange((uint)runStart, (ushort)(end - runStart), (byte)runNeed));
        }

        _statusCursor = b;
        return count;
    }

    private int NeedOf(int block) => _blockState[block] switch
    {
        NotReceived => _layout!.SourceSymbols(block),
        Partial => _partials[block].Need,
        _ => 0,
    };

    private void FinishComplete(CompleteWork complete, long now)
    {
        _finishing = false;
        if (!complete.Ran)
        {
            Fail($"flushing the output failed: {_processor.Fault?.Message ?? "the flush did not run"}");
            return;
        }

        _complete = true;
        VerifyTime = _time.GetElapsedTime(_allBlocksTimestamp, now);
        _lastAck = now; // from now on, wait at most a short while for the sender's ack
        _nextStatus = now;
    }

    private sealed class CompleteWork(IReceiverStore store) : ReceiverWork
    {
        public bool Ran { get; private set; }

        public override void Run()
        {
            store.Complete();
            Ran = true;
        }
    }
}
