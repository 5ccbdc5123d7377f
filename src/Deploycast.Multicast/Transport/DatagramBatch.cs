using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Deploycast.Multicast.Transport;

/// <summary>
/// Takes the datagrams queued on a UDP socket in batches without blocking: on Linux up to <see cref="Capacity"/>
/// messages with one <c>recvmmsg</c> system call (one call per datagram, plus one to ask whether more are queued, was
/// the largest share of a receiver's system time); elsewhere one
/// <see cref="Socket.ReceiveFrom(Span{byte}, SocketFlags, SocketAddress)"/> at a time. On Linux the socket also asks
/// for UDP generic receive offload (<c>UDP_GRO</c>): the kernel then hands over a run of equal-size datagrams from one
/// sender as one message (a GSO send over loopback arrives whole, a NIC's GRO merges what arrives back to back), and
/// the batch splits it at the segment size it reports. The buffers are native memory owned by this object and reused
/// by every batch.
/// </summary>
internal sealed unsafe partial class DatagramBatch : IDisposable
{
    /// <summary>Messages one batch holds (each one datagram, or with receive offload a run of them).</summary>
    public const int Capacity = 32;

    private const int MsgDontWait = 0x40;
    private const int MsgTrunc = 0x20;
    private const int MsgCTrunc = 0x08;
    private const int Eagain = 11;
    private const int Eintr = 4;
    private const int SolUdp = 17;
    private const int UdpGro = 104;
    private const int AddressSize = 16; // struct sockaddr_in
    private const int MaxDatagram = Protocol.Packets.PacketHeader.MaxDatagramSize;
    private const int PlainSlotSize = MaxDatagram + 1; // one more: a longer datagram shows as truncated
    private const int OffloadSlotSize = 65536; // the most one merged message can hold (an IPv4 packet's length)
    private const int ControlSize = 24; // CMSG_SPACE(sizeof(int)): a 16-byte cmsghdr and the segment size, padded

    private readonly Socket _socket;
    private readonly bool _native;
    private readonly int _slotSize;
    private readonly byte* _data;
    private readonly byte* _addresses;
    private readonly byte* _control;
    private readonly IoVec* _vectors;
    private readonly MultipleMessageHeader* _headers;
    private readonly int[] _offsets;
    private readonly int[] _lengths;
    private readonly byte[] _slots;
    private readonly SocketAddress _from = new(AddressFamily.InterNetwork);
    private bool _disposed;

    public DatagramBatch(Socket socket)
    {
        _socket = socket;
        _native = OperatingSystem.IsLinux() && socket.AddressFamily == AddressFamily.InterNetwork;
        ReceiveOffload = _native && TryEnableReceiveOffload(socket);
        _slotSize = ReceiveOffload ? OffloadSlotSize : PlainSlotSize;

        // With offload a message holds up to 64 KiB of datagrams; the smallest a sender of ours merges is far above
        // 512 bytes, and a message that would split into more is dropped as malformed.
        var datagrams = ReceiveOffload ? Capacity * (OffloadSlotSize / 512) : Capacity;
        _offsets = new int[datagrams];
        _lengths = new int[datagrams];
        _slots = new byte[datagrams];
        _data = (byte*)NativeMemory.AlignedAlloc((nuint)(Capacity * _slotSize), 64);
        _addresses = (byte*)NativeMemory.AllocZeroed((nuint)(Capacity * AddressSize));
        _control = (byte*)NativeMemory.AllocZeroed((nuint)(Capacity * ControlSize));
        _vectors = (IoVec*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(IoVec)));
        _headers = (MultipleMessageHeader*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(MultipleMessageHeader)));
        for (var i = 0; i < Capacity; i++)
        {
            _vectors[i].Base = _data + (i * _slotSize);
            _vectors[i].Length = (nuint)_slotSize;
            _headers[i].Header.Vectors = _vectors + i;
            _headers[i].Header.VectorCount = 1;
            _headers[i].Header.Name = _addresses + (i * AddressSize);
        }
    }

    /// <summary>Datagrams the socket refused (oversized, or an error the system reported), dropped.</summary>
    public long Errors { get; private set; }

    /// <summary>System calls made to take datagrams.</summary>
    public long Calls { get; private set; }

    /// <summary>Messages that held more than one datagram (receive offload merged them).</summary>
    public long MergedMessages { get; private set; }

    /// <summary>Whether the system merges runs of datagrams into one message for this socket (Linux <c>UDP_GRO</c>).</summary>
    public bool ReceiveOffload { get; }

    /// <summary>Whether the last <see cref="Receive"/> filled every message slot, so more may be queued.</summary>
    public bool Full { get; private set; }

    /// <summary>
    /// Takes what is queued, up to <see cref="Capacity"/> messages, and returns how many datagrams they held; 0 when
    /// the queue is empty. Oversized datagrams are dropped and counted in <see cref="Errors"/>, never returned.
    /// </summary>
    public int Receive()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _native ? ReceiveNative() : ReceiveManaged();
    }

    /// <summary>Datagram <paramref name="index"/> of the last batch.</summary>
    public Span<byte> Datagram(int index) => new(_data + _offsets[index], _lengths[index]);

    /// <summary>Whether datagram <paramref name="index"/> came from <paramref name="address"/> (an IPv4 end point's serialized form).</summary>
    public bool CameFrom(int index, SocketAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        var (ip, port) = Source(index);
        var span = address.Buffer.Span;
        return address.Family == AddressFamily.InterNetwork
            && BinaryPrimitives.ReadUInt16BigEndian(span[2..]) == port
            && BinaryPrimitives.ReadUInt32BigEndian(span[4..]) == ip;
    }

    /// <summary>The sender of datagram <paramref name="index"/>, serialized for <see cref="Socket.SendTo(ReadOnlySpan{byte}, SocketFlags, SocketAddress)"/>.</summary>
    public SocketAddress SourceAddress(int index)
    {
        var (ip, port) = Source(index);
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, ip);
        return new IPEndPoint(new IPAddress(bytes), port).Serialize();
    }

    private (uint Address, ushort Port) Source(int index)
    {
        var raw = new ReadOnlySpan<byte>(_addresses + (_slots[index] * AddressSize), AddressSize);
        return (BinaryPrimitives.ReadUInt32BigEndian(raw[4..]), BinaryPrimitives.ReadUInt16BigEndian(raw[2..]));
    }

    private static bool TryEnableReceiveOffload(Socket socket)
    {
        try
        {
            socket.SetRawSocketOption(SolUdp, UdpGro, BitConverter.GetBytes(1));
            return true;
        }
        catch (SocketException)
        {
            return false; // a kernel before 5.0
        }
    }

    private int ReceiveNative()
    {
        for (var i = 0; i < Capacity; i++)
        {
            _headers[i].Header.NameLength = AddressSize;
            _headers[i].Header.Flags = 0;
            _headers[i].Header.Control = ReceiveOffload ? _control + (i * ControlSize) : null;
            _headers[i].Header.ControlLength = ReceiveOffload ? (nuint)ControlSize : 0;
            _headers[i].Length = 0;
        }

        int received;
        var added = false;
        var handle = _socket.SafeHandle;
        try
        {
            handle.DangerousAddRef(ref added);
            do
            {
                Calls++;
                received = RecvMmsg((int)handle.DangerousGetHandle(), _headers, Capacity, MsgDontWait, null);
            }
            while (received < 0 && Marshal.GetLastPInvokeError() == Eintr);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }

        if (received < 0)
        {
            // EAGAIN: nothing queued. Anything else (an ICMP error reported on the socket) costs that call only.
            if (Marshal.GetLastPInvokeError() != Eagain)
            {
                Errors++;
            }

            Full = false;
            return 0;
        }

        Full = received == Capacity;
        var count = 0;
        for (var i = 0; i < received; i++)
        {
            var length = (int)_headers[i].Length;
            if ((_headers[i].Header.Flags & (MsgTrunc | MsgCTrunc)) != 0)
            {
                Errors++;
                continue;
            }

            var segment = SegmentSize(i);
            if (segment == 0 || segment >= length)
            {
                // One datagram.
                if (length > MaxDatagram)
                {
                    Errors++;
                    continue;
                }

                Add(ref count, i, 0, length);
                continue;
            }

            if (segment > MaxDatagram || (length + segment - 1) / segment > _lengths.Length - count)
            {
                Errors += (length + segment - 1) / segment;
                continue;
            }

            MergedMessages++;
            for (var offset = 0; offset < length; offset += segment)
            {
                Add(ref count, i, offset, Math.Min(segment, length - offset));
            }
        }

        return count;
    }

    private void Add(ref int count, int slot, int offset, int length)
    {
        _offsets[count] = (slot * _slotSize) + offset;
        _lengths[count] = length;
        _slots[count] = (byte)slot;
        count++;
    }

    /// <summary>The segment size the kernel reported for message <paramref name="slot"/> when it merged datagrams; 0 if it did not.</summary>
    private int SegmentSize(int slot)
    {
        if (!ReceiveOffload || _headers[slot].Header.ControlLength < 20)
        {
            return 0;
        }

        // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then the data: here one int.
        var control = _control + (slot * ControlSize);
        return *(int*)(control + 8) == SolUdp && *(int*)(control + 12) == UdpGro ? *(int*)(control + 16) : 0;
    }

    private int ReceiveManaged()
    {
        var count = 0;
        while (count < Capacity && _socket.Available > 0)
        {
            Calls++;
            int length;
            try
            {
                length = _socket.ReceiveFrom(new Span<byte>(_data + (count * _slotSize), _slotSize), SocketFlags.None, _from);
            }
            catch (SocketException)
            {
                // An oversized datagram (Windows reports it) or an ICMP error: drop it, like any bad packet.
                Errors++;
                continue;
            }

            if (length > MaxDatagram)
            {
                Errors++;
                continue;
            }

            // Every platform's sockaddr_in keeps the port at bytes 2-3 and the address at 4-7, as Linux's does.
            var address = new Span<byte>(_addresses + (count * AddressSize), AddressSize);
            address.Clear();
            _from.Buffer.Span[..Math.Min(AddressSize, _from.Size)].CopyTo(address);
            _offsets[count] = count * _slotSize;
            _lengths[count] = length;
            _slots[count] = (byte)count;
            count++;
        }

        Full = count == Capacity;
        return count;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        NativeMemory.AlignedFree(_data);
        NativeMemory.Free(_addresses);
        NativeMemory.Free(_control);
        NativeMemory.Free(_vectors);
        NativeMemory.Free(_headers);
    }

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    private static partial int RecvMmsg(int socket, MultipleMessageHeader* messages, uint count, int flags, void* timeout);

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr (LP64 layout; the runtime adds the same padding as C).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct mmsghdr.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MultipleMessageHeader
    {
        public MessageHeader Header;
        public uint Length;
    }
}
