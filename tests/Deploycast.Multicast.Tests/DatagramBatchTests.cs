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
            Assert.True(count > 0);
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

    /// <summary>Sends <paramref name="payload"/> as one UDP GSO send of <paramref name="segment"/>-byte datagrams (Linux).</summary>
    private static void SendSegmented(Socket sender, byte[] payload, int segment, EndPoint to)
    {
        Assert.True(UdpSockets.TryEnableSegmentation(sender, segment), "UDP_SEGMENT is available on Linux 4.18 and later");
        sender.SendTo(payload, to);
    }

    [Fact]
    public void OnLinux_ARunSentWithSegmentation_ArrivesAsOneMessage_AndIsSplitIntoItsDatagrams()
    {
        Assert.True(OperatingSystem.IsLinux(), "receive offload is Linux's (UDP_GRO); CI runs on Linux");
        var (receiver, sender) = Pair();
        using var r = receiver;
        using var s = sender;
        using var batch = new DatagramBatch(receiver);
        Assert.True(batch.ReceiveOffload);

        // Ten 1000-byte datagrams and a shorter last one, each filled with its own index, in one system call; then
        // a lone datagram, so one batch holds a merged message and a plain one.
        var payload = new byte[(10 * 1000) + 300];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)(i / 1000);
        }

        SendSegmented(sender, payload, 1000, receiver.LocalEndPoint!);
        using (var plain = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            plain.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            plain.SendTo(new byte[] { 42, 43 }, receiver.LocalEndPoint!);
        }

        WaitForQueued(receiver);
        var seen = TakeAll(batch, i => Assert.Equal(i < 11, batch.CameFrom(i, sender.LocalEndPoint!.Serialize())));

        Assert.Equal(12, seen.Count);
        for (var i = 0; i < 11; i++)
        {
            Assert.Equal(i < 10 ? 1000 : 300, seen[i].Length);
            Assert.All(seen[i], b => Assert.Equal((byte)i, b));
        }

        Assert.Equal([42, 43], seen[11]);
        Assert.Equal(1, batch.MergedMessages);
        Assert.Equal(0, batch.Errors);
        Assert.InRange(batch.Calls, 1, 3);
    }

    [Fact]
    public void OnLinux_AMergedRunOfOversizedDatagrams_IsDroppedAndCountedPerDatagram()
    {
        Assert.True(OperatingSystem.IsLinux(), "receive offload is Linux's (UDP_GRO); CI runs on Linux");
        var (receiver, sender) = Pair();
        using var r = receiver;
        using var s = sender;
        using var batch = new DatagramBatch(receiver);
        var oversized = Protocol.Packets.PacketHeader.MaxDatagramSize + 100;
        SendSegmented(sender, new byte[3 * oversized], oversized, receiver.LocalEndPoint!);
        WaitForQueued(receiver);
        Assert.Empty(TakeAll(batch));
        Assert.Equal(3, batch.Errors);
    }
}
