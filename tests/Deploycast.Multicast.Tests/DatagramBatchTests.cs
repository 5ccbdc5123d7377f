using System.Net;
using System.Net.Sockets;
using Deploycast.Multicast.Transport;

namespace Deploycast.Multicast.Tests;

/// <summary>The batched receive over a real UDP socket on loopback (recvmmsg on Linux, one receive at a time elsewhere).</summary>
public sealed class DatagramBatchTests
{
    private static (Socket Receiver, Socket Sender) Pair()
    {
        var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        receiver.ReceiveBufferSize = 1 << 20;
        var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (receiver, sender);
    }

    private static void WaitForQueued(Socket socket)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (socket.Available == 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        Thread.Sleep(50); // loopback delivers at once; let the last ones land
    }

    /// <summary>Every datagram the batch takes until the socket is empty.</summary>
    private static List<byte[]> TakeAll(DatagramBatch batch, Action<int>? check = null)
    {
        var taken = new List<byte[]>();
        int count;
        while ((count = batch.Receive()) > 0)
        {
            Assert.InRange(count, 1, DatagramBatch.Capacity);
            for (var i = 0; i < count; i++)
            {
                taken.Add(batch.Datagram(i).ToArray());
                check?.Invoke(i);
            }
        }

        return taken;
    }

    [Fact]
    public void TakesQueuedDatagramsInOrder_InBatchesOfAtMostCapacity_AndReturnsZeroWhenEmpty()
    {
        var (receiver, sender) = Pair();
        using var r = receiver;
        using var s = sender;
        using var batch = new DatagramBatch(receiver);
        Assert.Equal(0, batch.Receive());

        const int total = DatagramBatch.Capacity + 8;
        for (var i = 0; i < total; i++)
        {
            var datagram = new byte[100 + i];
            datagram.AsSpan().Fill((byte)i);
            sender.SendTo(datagram, receiver.LocalEndPoint!);
        }

        WaitForQueued(receiver);
        var seen = TakeAll(batch, i =>
        {
            Assert.True(batch.CameFrom(i, sender.LocalEndPoint!.Serialize()));
            Assert.False(batch.CameFrom(i, new IPEndPoint(IPAddress.Loopback, 9).Serialize()));
            Assert.Equal(sender.LocalEndPoint, new IPEndPoint(IPAddress.Any, 0).Create(batch.SourceAddress(i)));
        });

        Assert.Equal(total, seen.Count);
        for (var i = 0; i < total; i++)
        {
            Assert.Equal(100 + i, seen[i].Length);
            Assert.All(seen[i], b => Assert.Equal((byte)i, b));
        }

        Assert.Equal(0, batch.Errors);
        if (OperatingSystem.IsLinux())
        {
            // 40 datagrams in at most a handful of calls, where one receive each would take 40 (and 40 more to ask whether more wait).
            Assert.InRange(batch.Calls, 2, 6);
        }
    }

    [Fact]
    public void OversizedDatagram_IsDroppedAndCounted_TheOthersAroundItKept()
    {
        var (receiver, sender) = Pair();
        using var r = receiver;
        using var s = sender;
        using var batch = new DatagramBatch(receiver);
        sender.SendTo(new byte[] { 1, 2, 3 }, receiver.LocalEndPoint!);
        sender.SendTo(new byte[Protocol.Packets.PacketHeader.MaxDatagramSize + 500], receiver.LocalEndPoint!);
        sender.SendTo(new byte[] { 4, 5 }, receiver.LocalEndPoint!);
        WaitForQueued(receiver);
        Assert.Equal([[1, 2, 3], [4, 5]], TakeAll(batch));
        Assert.Equal(1, batch.Errors);
    }
}
