using BenchmarkDotNet.Attributes;
using Deploycast.Multicast.Receiving;
using Deploycast.Multicast.Sending;
using Deploycast.Multicast.Simulation;
using Deploycast.Multicast.Storage;
using Deploycast.Protocol.Crypto;
using Deploycast.Protocol.Manifests;
using Deploycast.Protocol.Packets;

namespace Deploycast.Benchmarks;

/// <summary>
/// Cost and allocations per packet on the hot paths. Each benchmark handles <see cref="Packets"/> data packets
/// (OperationsPerInvoke), so the reported time and allocation are per packet.
/// <list type="bullet">
/// <item>Header and data body written and parsed (the wire format alone).</item>
/// <item>AES-256-GCM seal and open of a full data packet.</item>
/// <item>The sender core producing paced data packets (block read, symbol copy or parity encode, header).</item>
/// <item>The receiver core taking data packets (parse, bookkeeping, symbol copy; blocks completed inline).</item>
/// </list>
/// </summary>
[MemoryDiagnoser]
public class PacketBenchmarks
{
    private const int Packets = 4096;
    private readonly byte[] _packet = new byte[PacketHeader.MaxDatagramSize];
    private readonly byte[][] _stream = new byte[Packets + 64][];
    private PacketCipher _cipher = null!;
    private SenderSession _sender = null!;
    private SimulatedClock _senderClock = null!;
    private byte[] _content = null!;
    private TransferManifest _manifest = null!;
    private int _symbolSize;

    [GlobalSetup]
    public void Setup()
    {
        _content = new byte[64 << 20];
        new Random(1).NextBytes(_content);
        _manifest = TransferManifest.BuildAsync(new MemoryStream(_content), SenderSession.BlockSizeFor(SenderOptions.Default), null, CancellationToken.None).GetAwaiter().GetResult();
        _cipher = PacketCipher.Create(new byte[32], new byte[16]);
        _symbolSize = Multicast.MulticastDefaults.SymbolSizeFor(Multicast.MulticastDefaults.MaxDatagramSize, encrypted: true);
        NewSender();

        // A recorded stream (announcement first) for the receiver benchmark.
        var clock = new SimulatedClock();
        using var recorder = new SenderSession(_manifest, new MemorySenderContent(_content), SenderOptions.Default with { MaxRate = 100_000_000_000, InitialRate = 100_000_000_000, RandomSeed = 1 }, clock);
        Force(recorder, clock);
        var n = 0;
        while (n < _stream.Length)
        {
            clock.AdvanceTo(clock.GetTimestamp() + 100);
            var length = recorder.TryWriteNextPacket(_packet, clock.GetTimestamp());
            if (length > 0)
            {
                _stream[n++] = _packet.AsSpan(0, length).ToArray();
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Packets)]
    public int WriteAndParseDataPacket()
    {
        var sum = 0;
        for (var i = 0; i < Packets; i++)
        {
            var payload = DataMessage.FixedSize + _symbolSize;
            new PacketHeader(PacketType.Data, PacketFlags.None, (ushort)payload, 7, 0, (uint)i).Write(_packet);
            DataMessage.WriteFixed(_packet.AsSpan(PacketHeader.Size), (uint)i, (byte)(i & 127), 12345);
            var datagram = _packet.AsSpan(0, PacketHeader.Size + payload);
            if (PacketHeader.TryRead(datagram, out var header) == PacketError.None
                && DataMessage.TryRead(datagram[PacketHeader.Size..], _symbolSize, out var data) == PacketError.None)
            {
                sum += (int)header.Sequence + data.SymbolId;
            }
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Packets)]
    public int SealAndOpenDataPacket()
    {
        var opened = 0;
        var length = PacketHeader.Size + DataMessage.FixedSize + _symbolSize + PacketCipher.TagSize;
        for (var i = 0; i < Packets; i++)
        {
            new PacketHeader(PacketType.Data, PacketFlags.Encrypted, (ushort)(length - PacketHeader.Size), 7, 0, (uint)i).Write(_packet);
            _cipher.Seal(_packet.AsSpan(0, length), 0);
            opened += _cipher.TryOpen(_packet.AsSpan(0, length), 0) ? 1 : 0;
        }

        return opened;
    }

    [Benchmark(OperationsPerInvoke = Packets)]
    public int SenderProducesDataPackets()
    {
        var sent = 0;
        while (sent < Packets)
        {
            if (_sender.IsFinished || _sender.Frontier >= _sender.TotalBlocks - 2)
            {
                NewSender();
            }

            _senderClock.AdvanceTo(_senderClock.GetTimestamp() + 100);
            if (_sender.TryWriteNextPacket(_packet, _senderClock.GetTimestamp()) > 0)
            {
                sent++;
            }
        }

        return sent;
    }

    private ReceiverSession? _receiver;
    private SimulatedClock _receiverClock = null!;

    /// <summary>A fresh receiver that has joined and holds the manifest, so the measured part is steady state.</summary>
    [IterationSetup(Target = nameof(ReceiverTakesDataPackets))]
    public void NewReceiver()
    {
        _receiver?.Dispose();
        _receiverClock = new SimulatedClock();
        _receiver = new ReceiverSession(new MemoryReceiverStore(), ReceiverOptions.Default, _receiverClock, completed => new InlineBlockProcessor(completed));
        for (var i = 0; i < 64; i++)
        {
            Feed(i);
        }
    }

    [Benchmark(OperationsPerInvoke = Packets)]
    public long ReceiverTakesDataPackets()
    {
        for (var i = 64; i < Packets + 64; i++)
        {
            Feed(i);
        }

        return _receiver!.PacketsReceived;
    }

    private void Feed(int index)
    {
        var source = _stream[index];
        source.CopyTo(_packet, 0);
        _receiver!.OnDatagram(_packet.AsSpan(0, source.Length), _receiverClock.GetTimestamp());
    }

    private void NewSender()
    {
        // A 64 GiB virtual image, so one session lasts the whole benchmark and its set-up is not counted per packet.
        _sender?.Dispose();
        _senderClock = new SimulatedClock();
        var content = new PatternContent(_content, 64L << 30);
        _sender = new SenderSession(FakeManifest(content.Length), content, SenderOptions.Default with { MaxRate = 100_000_000_000, InitialRate = 100_000_000_000, RandomSeed = 2, ReceiverTimeout = TimeSpan.FromDays(1) }, _senderClock);
        Force(_sender, _senderClock);
    }

    /// <summary>A manifest of the right shape whose hashes are not checked (the sender never checks them).</summary>
    private static TransferManifest FakeManifest(long size)
    {
        var blockSize = SenderSession.BlockSizeFor(SenderOptions.Default);
        var blocks = (int)((size + blockSize - 1) / blockSize);
        var bytes = new byte[56 + (blocks * 32)];
        "DCMF"u8.CopyTo(bytes);
        bytes[4] = 1;
        bytes[5] = 1;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8), (ulong)size);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16), (uint)blockSize);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(20), (uint)blocks);
        return TransferManifest.TryParse(bytes, out _)!;
    }

    private sealed class PatternContent(byte[] pattern, long length) : ISenderContent
    {
        public long Length => length;

        public void Read(long offset, Span<byte> destination)
        {
            while (!destination.IsEmpty)
            {
                var at = (int)(offset % pattern.Length);
                var n = Math.Min(destination.Length, pattern.Length - at);
                pattern.AsSpan(at, n).CopyTo(destination);
                destination = destination[n..];
                offset += n;
            }
        }
    }

    /// <summary>Joins a fake receiver so the session leaves its waiting state and sends data.</summary>
    private static void Force(SenderSession sender, SimulatedClock clock)
    {
        var status = new byte[PacketHeader.Size + StatusMessage.FixedSize];
        new PacketHeader(PacketType.Status, PacketFlags.None, StatusMessage.FixedSize, sender.SessionId, 99, 1).Write(status);
        new StatusMessage { State = ReceiverState.Joining }.WriteFixed(status.AsSpan(PacketHeader.Size), 0);
        sender.OnDatagram(status, clock.GetTimestamp());
        var buffer = new byte[PacketHeader.MaxDatagramSize];
        while (sender.State == SessionState.Waiting)
        {
            clock.AdvanceTo(clock.GetTimestamp() + 10_000);
            sender.TryWriteNextPacket(buffer, clock.GetTimestamp());
        }
    }
}
