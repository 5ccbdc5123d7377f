using Deploycast.Protocol.Packets;

namespace Deploycast.Protocol.Tests.Packets;

public sealed class PacketParsingTests
{
    private static byte[] Datagram(PacketType type, ReadOnlySpan<byte> payload, PacketFlags flags = PacketFlags.None)
    {
        var bytes = new byte[PacketHeader.Size + payload.Length];
        new PacketHeader(type, flags, (ushort)payload.Length, 0x01020304, 0, 7).Write(bytes);
        payload.CopyTo(bytes.AsSpan(PacketHeader.Size));
        return bytes;
    }

    [Fact]
    public void Header_RoundTrips()
    {
        var bytes = Datagram(PacketType.Data, new byte[5], PacketFlags.Encrypted);
        Assert.Equal(PacketError.None, PacketHeader.TryRead(bytes, out var header));
        Assert.Equal(new PacketHeader(PacketType.Data, PacketFlags.Encrypted, 5, 0x01020304, 0, 7), header);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(19)]
    public void Header_Truncated_IsRejected(int length)
    {
        Assert.Equal(PacketError.Truncated, PacketHeader.TryRead(new byte[length], out _));
    }

    [Fact]
    public void Header_PayloadShorterThanDeclared_IsTruncated()
    {
        var bytes = Datagram(PacketType.End, new byte[4]);
        Assert.Equal(PacketError.Truncated, PacketHeader.TryRead(bytes.AsSpan(0, bytes.Length - 1), out _));
    }

    [Fact]
    public void Header_TrailingBytes_AreOversized()
    {
        var bytes = Datagram(PacketType.End, new byte[4]);
        var longer = new byte[bytes.Length + 3];
        bytes.CopyTo(longer, 0);
        Assert.Equal(PacketError.Oversized, PacketHeader.TryRead(longer, out _));
        Assert.Equal(PacketError.Oversized, PacketHeader.TryRead(new byte[PacketHeader.MaxDatagramSize + 1], out _));
    }

    [Fact]
    public void Header_ForeignMagicVersionTypeOrFlags_AreRejected()
    {
        var good = Datagram(PacketType.Ack, new byte[4]);

        var foreign = (byte[])good.Clone();
        foreign[0] = (byte)'X';
        Assert.Equal(PacketError.NotDeploycast, PacketHeader.TryRead(foreign, out _));

        var version = (byte[])good.Clone();
        version[2] = 2;
        Assert.Equal(PacketError.UnsupportedVersion, PacketHeader.TryRead(version, out _));

        var type = (byte[])good.Clone();
        type[3] = 99;
        Assert.Equal(PacketError.UnknownType, PacketHeader.TryRead(type, out _));

        var flags = (byte[])good.Clone();
        flags[4] = 0x80;
        Assert.Equal(PacketError.Malformed, PacketHeader.TryRead(flags, out _));

        var reserved = (byte[])good.Clone();
        reserved[5] = 1;
        Assert.Equal(PacketError.Malformed, PacketHeader.TryRead(reserved, out _));
    }

    [Fact]
    public void Header_RandomBytes_NeverThrow()
    {
        var random = new Random(1);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            if (bytes.Length > 3 && i % 2 == 0)
            {
                bytes[0] = 0x44;
                bytes[1] = 0x43;
                bytes[2] = 1;
            }

            var error = PacketHeader.TryRead(bytes, out var header);
            if (error == PacketError.None)
            {
                // Whatever parses must be self-consistent.
                Assert.Equal(bytes.Length - PacketHeader.Size, header.PayloadLength);
                _ = StatusMessage.TryRead(bytes.AsSpan(PacketHeader.Size), out _);
                _ = AnnounceMessage.TryRead(bytes.AsSpan(PacketHeader.Size), out _);
                _ = DataMessage.TryRead(bytes.AsSpan(PacketHeader.Size), 16, out _);
                _ = AckMessage.TryRead(bytes.AsSpan(PacketHeader.Size), out _);
                _ = EndMessage.TryRead(bytes.AsSpan(PacketHeader.Size), out _);
                _ = DismissMessage.TryRead(bytes.AsSpan(PacketHeader.Size), out _, out _);
            }
        }
    }

    [Fact]
    public void Announce_RoundTrips_AndRejectsWrongLengths()
    {
        var salt = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        var hash = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray();
        var message = new AnnounceMessage
        {
            KeySalt = salt,
            State = SessionState.Transferring,
            SymbolSize = 1442,
            SymbolsPerBlock = 128,
            StatusIntervalMilliseconds = 25,
            FileSize = 123_456_789_012,
            ManifestLength = 4096,
            Frontier = 77,
            Receivers = 12,
            RateKilobitsPerSecond = 190_000,
            ManifestHash = hash,
            NameUtf8 = "image.wim"u8,
        };
        var bytes = new byte[message.PayloadSize];
        Assert.Equal(bytes.Length, message.Write(bytes));

        Assert.Equal(PacketError.None, AnnounceMessage.TryRead(bytes, out var read));
        Assert.Equal(SessionState.Transferring, read.State);
        Assert.Equal(1442, read.SymbolSize);
        Assert.Equal(128, read.SymbolsPerBlock);
        Assert.Equal(25, read.StatusIntervalMilliseconds);
        Assert.Equal(123_456_789_012UL, read.FileSize);
        Assert.Equal(4096U, read.ManifestLength);
        Assert.Equal(77U, read.Frontier);
        Assert.Equal(12U, read.Receivers);
        Assert.Equal(190_000U, read.RateKilobitsPerSecond);
        Assert.True(read.KeySalt.SequenceEqual(salt));
        Assert.True(read.ManifestHash.SequenceEqual(hash));
        Assert.Equal("image.wim", System.Text.Encoding.UTF8.GetString(read.NameUtf8));

        Assert.Equal(PacketError.Truncated, AnnounceMessage.TryRead(bytes.AsSpan(0, bytes.Length - 1), out _));
        Assert.Equal(PacketError.Oversized, AnnounceMessage.TryRead([.. bytes, 0], out _));
        var badState = (byte[])bytes.Clone();
        badState[AnnounceMessage.ClearPrefixSize] = 9;
        Assert.Equal(PacketError.Malformed, AnnounceMessage.TryRead(badState, out _));
        var noSymbols = (byte[])bytes.Clone();
        noSymbols[AnnounceMessage.ClearPrefixSize + 4] = 0;
        Assert.Equal(PacketError.Malformed, AnnounceMessage.TryRead(noSymbols, out _));
    }

    [Fact]
    public void Data_RoundTrips_AndRejectsWrongSymbolSizeOrId()
    {
        var bytes = new byte[DataMessage.FixedSize + 16];
        DataMessage.WriteFixed(bytes, 1234, 200, 987654);
        bytes.AsSpan(DataMessage.FixedSize).Fill(0xAB);

        Assert.Equal(PacketError.None, DataMessage.TryRead(bytes, 16, out var data));
        Assert.Equal(1234U, data.Block);
        Assert.Equal(200, data.SymbolId);
        Assert.Equal(987654U, data.SendTimeMicroseconds);
        Assert.All(data.Symbol.ToArray(), b => Assert.Equal(0xAB, b));

        Assert.Equal(PacketError.Truncated, DataMessage.TryRead(bytes, 17, out _));
        Assert.Equal(PacketError.Oversized, DataMessage.TryRead(bytes, 15, out _));
        bytes[4] = 255;
        Assert.Equal(PacketError.Malformed, DataMessage.TryRead(bytes, 16, out _));
    }

    [Fact]
    public void Status_RoundTrips_AndRejectsInconsistentRanges()
    {
        var body = new byte[StatusMessage.FixedSize + (2 * NeedRange.Size)];
        var status = new StatusMessage
        {
            State = ReceiverState.Receiving,
            HighestSequence = 42,
            BlocksDone = 10,
            RateKilobitsPerSecond = 200_000,
            RecentLoss = 150,
            LongRunLoss = 100,
            QueueDelayMicroseconds = 2500,
            EchoSendTime = 111,
            EchoHoldTime = 22,
            PreviousReceiverId = 0xCAFE,
        };
        status.WriteFixed(body, 2);
        StatusMessage.WriteRange(body, 0, new NeedRange(5, 3, 2));
        StatusMessage.WriteRange(body, 1, new NeedRange(90, 1, 128));

        Assert.Equal(PacketError.None, StatusMessage.TryRead(body, out var read));
        Assert.Equal(ReceiverState.Receiving, read.State);
        Assert.Equal(42U, read.HighestSequence);
        Assert.Equal(10U, read.BlocksDone);
        Assert.Equal(2500U, read.QueueDelayMicroseconds);
        Assert.Equal(0xCAFEU, read.PreviousReceiverId);
        Assert.Equal(2, read.RangeCount);
        Assert.Equal(new NeedRange(5, 3, 2), read.GetRange(0));
        Assert.Equal(new NeedRange(90, 1, 128), read.GetRange(1));

        Assert.Equal(PacketError.Truncated, StatusMessage.TryRead(body.AsSpan(0, body.Length - 1), out _));
        Assert.Equal(PacketError.Oversized, StatusMessage.TryRead([.. body, 0, 0, 0, 0, 0, 0, 0], out _));

        var zeroNeed = (byte[])body.Clone();
        zeroNeed[StatusMessage.FixedSize + 6] = 0;
        Assert.Equal(PacketError.Malformed, StatusMessage.TryRead(zeroNeed, out _));

        var emptyRun = (byte[])body.Clone();
        emptyRun[StatusMessage.FixedSize + 4] = 0;
        emptyRun[StatusMessage.FixedSize + 5] = 0;
        Assert.Equal(PacketError.Malformed, StatusMessage.TryRead(emptyRun, out _));

        var badState = (byte[])body.Clone();
        badState[0] = 0;
        Assert.Equal(PacketError.Malformed, StatusMessage.TryRead(badState, out _));
    }

    [Fact]
    public void AckAndEnd_RoundTrip_AndRejectBadInput()
    {
        var ackBody = new byte[AckMessage.FixedSize + 8];
        AckMessage.Write(ackBody, [7U, 0xFFFFFFFFU]);
        Assert.Equal(PacketError.None, AckMessage.TryRead(ackBody, out var ack));
        Assert.Equal(2, ack.Count);
        Assert.Equal(0xFFFFFFFFU, ack.GetId(1));
        Assert.Equal(PacketError.Truncated, AckMessage.TryRead(ackBody.AsSpan(0, 7), out _));

        var end = new byte[EndMessage.Size];
        EndMessage.Write(end, EndReason.Cancelled);
        Assert.Equal(PacketError.None, EndMessage.TryRead(end, out var reason));
        Assert.Equal(EndReason.Cancelled, reason);
        end[0] = 7;
        Assert.Equal(PacketError.Malformed, EndMessage.TryRead(end, out _));
        Assert.Equal(PacketError.Oversized, EndMessage.TryRead(new byte[5], out _));

        var dismiss = new byte[DismissMessage.Size];
        DismissMessage.Write(dismiss, 0xABCD0001, fallBackToUnicast: true);
        Assert.Equal(PacketError.None, DismissMessage.TryRead(dismiss, out var id, out var fallBack));
        Assert.Equal(0xABCD0001U, id);
        Assert.True(fallBack);
        dismiss[4] = 0x02;
        Assert.Equal(PacketError.Malformed, DismissMessage.TryRead(dismiss, out _, out _));
        Assert.Equal(PacketError.Malformed, DismissMessage.TryRead(new byte[DismissMessage.Size], out _, out _));
        Assert.Equal(PacketError.Truncated, DismissMessage.TryRead(dismiss.AsSpan(0, 7), out _, out _));
    }
}
