using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Deploycast.Multicast.Transport;

/// <summary>
/// Takes the datagrams queued on a UDP socket in batches without blocking: on Linux up to <see cref="Capacity"/> with
/// one <c>recvmmsg</c> system call (one call per datagram, plus one to ask whether more are queued, was the largest
/// share of a receiver's system time); elsewhere one <see cref="Socket.ReceiveFrom(Span{byte}, SocketFlags, SocketAddress)"/>
/// at a time. The buffers are native memory owned by this object and reused by every batch.
/// </summary>
internal sealed unsafe partial class DatagramBatch : IDisposable
{
    /// <summary>Datagrams one batch holds.</summary>
    public const int Capacity = 32;

    private const int MsgDontWait = 0x40;
    private const int MsgTrunc = 0x20;
    private const int Eagain = 11;
    private const int Eintr = 4;
    private const int AddressSize = 16; // struct sockaddr_in
    private const int SlotSize = Protocol.Packets.PacketHeader.MaxDatagramSize + 1; // one more: a longer datagram shows as truncated

    private readonly Socket _socket;
    private readonly bool _native;
    private readonly byte* _data;
    private readonly byte* _addresses;
    private readonly IoVec* _vectors;
    private readonly MultipleMessageHeader* _headers;
    private readonly int[] _lengths = new int[Capacity];
    private readonly SocketAddress _from = new(AddressFamily.InterNetwork);
    private bool _disposed;

    public DatagramBatch(Socket socket)
    {
        _socket = socket;
        _native = OperatingSystem.IsLinux() && socket.AddressFamily == AddressFamily.InterNetwork;
        _data = (byte*)NativeMemory.AlignedAlloc((nuint)(Capacity * SlotSize), 64);
        _addresses = (byte*)NativeMemory.AllocZeroed((nuint)(Capacity * AddressSize));
        _vectors = (IoVec*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(IoVec)));
        _headers = (MultipleMessageHeader*)NativeMemory.AllocZeroed((nuint)(Capacity * sizeof(MultipleMessageHeader)));
        for (var i = 0; i < Capacity; i++)
        {
            _vectors[i].Base = _data + (i * SlotSize);
            _vectors[i].Length = SlotSize;
            _headers[i].Header.Vectors = _vectors + i;
            _headers[i].Header.VectorCount = 1;
            _headers[i].Header.Name = _addresses + (i * AddressSize);
        }
    }

    /// <summary>Datagrams the socket refused (oversized, or an error the system reported), dropped.</summary>
    public long Errors { get; private set; }

    /// <summary>System calls made to take datagrams.</summary>
    public long Calls { get; private set; }

    /// <summary>
    /// Takes what is queued, up to <see cref="Capacity"/> datagrams, and returns how many it took; 0 when the queue is
    /// empty. Oversized datagrams are dropped and counted in <see cref="Errors"/>, never returned.
    /// </summary>
    public int Receive()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _native ? ReceiveNative() : ReceiveManaged();
    }

    /// <summary>Datagram <paramref name="index"/> of the last batch.</summary>
    public Span<byte> Datagram(int index) => new(_data + (index * SlotSize), _lengths[index]);

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
        var raw = new ReadOnlySpan<byte>(_addresses + (index * AddressSize), AddressSize);
        return (BinaryPrimitives.ReadUInt32BigEndian(raw[4..]), BinaryPrimitives.ReadUInt16BigEndian(raw[2..]));
    }

    private int ReceiveNative()
    {
        for (var i = 0; i < Capacity; i++)
        {
            _headers[i].Header.NameLength = AddressSize;
            _headers[i].Header.Flags = 0;
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

            return 0;
        }

        var kept = 0;
        for (var i = 0; i < received; i++)
        {
            if ((_headers[i].Header.Flags & MsgTrunc) != 0)
            {
                Errors++;
                continue;
            }

            if (kept != i)
            {
                // Close the gap a dropped datagram left, so the caller sees a dense batch.
                new ReadOnlySpan<byte>(_data + (i * SlotSize), (int)_headers[i].Length).CopyTo(new Span<byte>(_data + (kept * SlotSize), SlotSize));
                new ReadOnlySpan<byte>(_addresses + (i * AddressSize), AddressSize).CopyTo(new Span<byte>(_addresses + (kept * AddressSize), AddressSize));
            }

            _lengths[kept++] = (int)_headers[i].Length;
        }

        return kept;
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
                length = _socket.ReceiveFrom(new Span<byte>(_data + (count * SlotSize), SlotSize), SocketFlags.None, _from);
            }
            catch (SocketException)
            {
                // An oversized datagram (Windows reports it) or an ICMP error: drop it, like any bad packet.
                Errors++;
                continue;
            }

            if (length >= SlotSize)
            {
                Errors++;
                continue;
            }

            // Every platform's sockaddr_in keeps the port at bytes 2-3 and the address at 4-7, as Linux's does.
            var address = new Span<byte>(_addresses + (count * AddressSize), AddressSize);
            address.Clear();
            _from.Buffer.Span[..Math.Min(AddressSize, _from.Size)].CopyTo(address);
            _lengths[count++] = length;
        }

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
