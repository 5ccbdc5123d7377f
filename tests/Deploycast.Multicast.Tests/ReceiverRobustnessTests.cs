using Deploycast.Multicast.Receiving;
using Deploycast.Multicast.Simulation;
using Deploycast.Multicast.Storage;
using Deploycast.Protocol.Manifests;
using Deploycast.Protocol.Packets;

namespace Deploycast.Multicast.Tests;

public sealed class ReceiverRobustnessTests
{
    /// <summary>A store whose final check fails with an I/O error (a disk gone bad at the end).</summary>
    private sealed class FailingVerifyStore : IReceiverStore
    {
        private readonly MemoryReceiverStore _inner = new();

        public bool TryResume(ReadOnlySpan<byte> manifestHash, out byte[] manifest, out bool[] verifiedBlocks, out uint previousReceiverId) =>
            _inner.TryResume(manifestHash, out manifest, out verifiedBlocks, out previousReceiverId);

        public void Begin(ReadOnlySpan<byte> manifestHash, byte[] manifestBytes, TransferManifest manifest, uint receiverId) =>
            _inner.Begin(manifestHash, manifestBytes, manifest, receiverId);

        public void WriteBlock(int fileBlock, long offset, ReadOnlySpan<byte> data) => _inner.WriteBlock(fileBlock, offset, data);

        public void Checkpoint() => _inner.Checkpoint();

        public IReadOnlyList<int> VerifyFile(TransferManifest manifest, IProgress<long>? progress) =>
            throw new IOException("Input/output error");

        public void Complete() => _inner.Complete();
    }

    [Fact]
    public async Task FinalCheckThatThrows_IsAFailure_NeverASuccess()
    {
        var clock = new SimulatedClock();
        var content = SimulatedTransferTests.Content(500_000, 30);
        var manifest = await TransferManifest.BuildAsync(new MemoryStream(content), Sending.SenderSession.BlockSizeFor(Sending.SenderOptions.Default), null, CancellationToken.None);
        using var sender = new Sending.SenderSession(manifest, new Sending.MemorySenderContent(content), Sending.SenderOptions.Default with { RandomSeed = 1 }, clock);
        using var receiver = new ReceiverSession(new FailingVerifyStore(), ReceiverOptions.Default with { RandomSeed = 2 }, clock, completed => new InlineBlockProcessor(completed));
        var buffer = new byte[PacketHeader.MaxDatagramSize];
        for (var step = 0; step < 200_000 && !receiver.IsFinished; step++)
        {
            clock.AdvanceTo(clock.GetTimestamp() + 1000);
            var now = clock.GetTimestamp();
            int length;
            while ((length = sender.TryWriteNextPacket(buffer, now)) > 0)
            {
                receiver.OnDatagram(buffer.AsSpan(0, length), now);
            }

            while ((length = receiver.TryWriteStatus(buffer, now)) > 0)
            {
                sender.OnDatagram(buffer.AsSpan(0, length), now);
            }
        }

        Assert.True(receiver.IsFinished);
        Assert.False(receiver.Succeeded);
        Assert.Contains("Input/output error", receiver.Failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5, 128, 1000UL)]          // symbol size below the smallest the layout accepts
    [InlineData(1442, 128, ulong.MaxValue >> 1)] // a file size that overflows the block count
    public void AuthenticatedButInsaneAnnouncement_IsDroppedAsMalformed_WithoutThrowing(ushort symbolSize, byte symbolsPerBlock, ulong fileSize)
    {
        var clock = new SimulatedClock();
        using var receiver = new ReceiverSession(new MemoryReceiverStore(), ReceiverOptions.Default, clock, completed => new InlineBlockProcessor(completed));
        var announce = new AnnounceMessage
        {
            KeySalt = new byte[16],
            State = SessionState.Transferring,
            SymbolSize = symbolSize,
            SymbolsPerBlock = symbolsPerBlock,
            StatusIntervalMilliseconds = 25,
            FileSize = fileSize,
            ManifestLength = 100,
            ManifestHash = new byte[32],
            NameUtf8 = "x"u8,
        };
        var datagram = new byte[PacketHeader.Size + announce.PayloadSize];
        new PacketHeader(PacketType.Announce, PacketFlags.None, (ushort)announce.PayloadSize, 77, 0, 1).Write(datagram);
        announce.Write(datagram.AsSpan(PacketHeader.Size));

        Assert.False(receiver.OnDatagram(datagram, clock.GetTimestamp()));
        Assert.Equal(1, receiver.Drops[PacketError.Malformed]);
        Assert.False(receiver.SenderEndpointKnown);
    }
}
