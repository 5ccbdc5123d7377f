using System.Buffers.Binary;

namespace Deploycast.Protocol.Packets;

/// <summary>
/// Receiver to sender (unicast), at the interval the sender announces. Body, big-endian:
/// <code>
///  0 u8 state   1 u8 reserved   2 u16 range count   4 u32 highest sender sequence seen   8 u32 blocks done
/// 12 u32 receive rate (kbit/s)   16 u16 recent loss (1/10000)   18 u16 long-run loss (1/10000)
/// 20 u32 queueing delay (µs)   24 u32 echoed send time (µs)   28 u32 hold time (µs)
/// 32 u32 previous receiver id (the id this receiver had before it restarted and resumed; 0 for none)   36 ranges (7 bytes each)
/// </code>
/// </summary>
public ref struct StatusMessage
{
    /// <summary>Bytes before the ranges.</summary>
    public const int FixedSize = 36;

    public ReceiverState State;
    public uint HighestSequence;
    public uint BlocksDone;
    public uint RateKilobitsPerSecond;
    public ushort RecentLoss;
    public ushort LongRunLoss;
    public uint QueueDelayMicroseconds;
    public uint EchoSendTime;
    public uint EchoHoldTime;
    public uint PreviousReceiverId;

    /// <summary>The raw ranges; enumerate with <see cref="GetRange"/>.</summary>
    public ReadOnlySpan<byte> RangeBytes;

    /// <summary>Number of need ranges.</summary>
    public readonly int RangeCount => RangeBytes.Length / NeedRange.Size;

    /// <summary>The most ranges that fit a body of <paramref name="bodyCapacity"/> bytes.</summary>
    public static int MaxRanges(int bodyCapacity) => Math.Min(ushort.MaxValue, (bodyCapacity - FixedSize) / NeedRange.Size);

    public readonly NeedRange GetRange(int index)
    {
        var at = RangeBytes.Slice(index * NeedRange.Size, NeedRange.Size);
        return new NeedRange(BinaryPrimitives.ReadUInt32BigEndian(at), BinaryPrimitives.ReadUInt16BigEndian(at[4..]), at[6]);
    }

    /// <summary>Writes the fixed part for <paramref name="rangeCount"/> ranges; ranges follow via <see cref="WriteRange"/>.</summary>
    public readonly void WriteFixed(Span<byte> destination, int rangeCount)
    {
        destination[0] = (byte)State;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], checked((ushort)rangeCount));
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], HighestSequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], BlocksDone);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], RateKilobitsPerSecond);
        BinaryPrimitives.WriteUInt16BigEndian(destination[16..], RecentLoss);
        BinaryPrimitives.WriteUInt16BigEndian(destination[18..], LongRunLoss);
        BinaryPrimitives.WriteUInt32BigEndian(destination[20..], QueueDelayMicroseconds);
        BinaryPrimitives.WriteUInt32BigEndian(destination[24..], EchoSendTime);
        BinaryPrimitives.WriteUInt32BigEndian(destination[28..], EchoHoldTime);
        BinaryPrimitives.WriteUInt32BigEndian(destination[32..], PreviousReceiverId);
    }

    /// <summary>Writes range number <paramref name="index"/> into a body whose fixed part is already written.</summary>
    public static void WriteRange(Span<byte> body, int index, NeedRange range)
    {
        var at = body.Slice(FixedSize + (index * NeedRange.Size), NeedRange.Size);
        BinaryPrimitives.WriteUInt32BigEndian(at, range.Start);
        BinaryPrimitives.WriteUInt16BigEndian(at[4..], range.Count);
        at[6] = range.Need;
    }

    /// <summary>Parses a plaintext body. Rejects a count that disagrees with the length and empty or zero-need ranges.</summary>
    public static PacketError TryRead(ReadOnlySpan<byte> body, out StatusMessage message)
    {
        message = default;
        if (body.Length < FixedSize)
        {
            return PacketError.Truncated;
        }

        var state = (ReceiverState)body[0];
        if (state is < ReceiverState.Joining or > ReceiverState.Left || body[1] != 0)
        {
            return PacketError.Malformed;
        }

        var count = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
        var expected = FixedSize + (count * NeedRange.Size);
        if (body.Length != expected)
        {
            return body.Length < expected ? PacketError.Truncated : PacketError.Oversized;
        }

        var ranges = body[FixedSize..];
        for (var i = 0; i < count; i++)
        {
            var at = ranges.Slice(i * NeedRange.Size, NeedRange.Size);
            if (BinaryPrimitives.ReadUInt16BigEndian(at[4..]) == 0 || at[6] == 0 || at[6] == 255)
            {
                return PacketError.Malformed;
            }
        }

        message.State = state;
        message.HighestSequence = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        message.BlocksDone = BinaryPrimitives.ReadUInt32BigEndian(body[8..]);
        message.RateKilobitsPerSecond = BinaryPrimitives.ReadUInt32BigEndian(body[12..]);
        message.RecentLoss = BinaryPrimitives.ReadUInt16BigEndian(body[16..]);
        message.LongRunLoss = BinaryPrimitives.ReadUInt16BigEndian(body[18..]);
        message.QueueDelayMicroseconds = BinaryPrimitives.ReadUInt32BigEndian(body[20..]);
        message.EchoSendTime = BinaryPrimitives.ReadUInt32BigEndian(body[24..]);
        message.EchoHoldTime = BinaryPrimitives.ReadUInt32BigEndian(body[28..]);
        message.PreviousReceiverId = BinaryPrimitives.ReadUInt32BigEndian(body[32..]);
        message.RangeBytes = ranges;
        return PacketError.None;
    }
}
