using System.Net;
using System.Net.Sockets;

namespace Deploycast.Multicast.Transport;

/// <summary>Creates the UDP sockets the sender and receiver use, with the options multicast needs.</summary>
internal static class UdpSockets
{
    private const int SolSocket = 1;
    private const int SoSndBufForce = 32;
    private const int SoRcvBufForce = 33;
    private const int SolUdp = 17;
    private const int UdpSegment = 103;

    /// <summary>
    /// A socket that sends to the group from <paramref name="interfaceAddress"/> (which also picks the interface the
    /// group traffic leaves by) and receives receivers' unicast statuses on its ephemeral port.
    /// </summary>
    public static Socket CreateSender(IPAddress interfaceAddress, int ttl)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(interfaceAddress, 0));
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, interfaceAddress.GetAddressBytes());
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, ttl);
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, true);
            SetBuffer(socket, SocketOptionName.SendBuffer, SoSndBufForce, 4 << 20);
            SetBuffer(socket, SocketOptionName.ReceiveBuffer, SoRcvBufForce, 4 << 20);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A socket that receives the group's datagrams on <paramref name="port"/>, joined on <paramref name="interfaceAddress"/>.
    /// It binds the group address itself, so it gets only that group's traffic; several receivers may share the port.
    /// </summary>
    public static Socket CreateGroupReceiver(IPAddress interfaceAddress, IPAddress group, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(group, port));
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(group, interfaceAddress));
            SetBuffer(socket, SocketOptionName.ReceiveBuffer, SoRcvBufForce, 16 << 20);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A socket that sends a receiver's statuses to the sender, from <paramref name="interfaceAddress"/>.</summary>
    public static Socket CreateUnicast(IPAddress interfaceAddress)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(interfaceAddress, 0));
        return socket;
    }

    /// <summary>Turns on UDP generic segmentation offload (Linux): one send of n equal datagrams. False where unsupported.</summary>
    public static bool TryEnableSegmentation(Socket socket, int segmentSize)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            socket.SetRawSocketOption(SolUdp, UdpSegment, BitConverter.GetBytes(segmentSize));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static void SetBuffer(Socket socket, SocketOptionName name, int forceOption, int size)
    {
        // As root, the *FORCE variants pass the system's rmem_max/wmem_max caps; otherwise take what is allowed.
        if (OperatingSystem.IsLinux())
        {
            try
            {
                socket.SetRawSocketOption(SolSocket, forceOption, BitConverter.GetBytes(size));
                return;
            }
            catch (SocketException)
            {
            }
        }

        socket.SetSocketOption(SocketOptionLevel.Socket, name, size);
    }
}
