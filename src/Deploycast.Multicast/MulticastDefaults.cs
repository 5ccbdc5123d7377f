using System.Net;
using Deploycast.Protocol.Crypto;
using Deploycast.Protocol.Packets;

namespace Deploycast.Multicast;

/// <summary>Defaults shared by the sender and the receiver.</summary>
public static class MulticastDefaults
{
    /// <summary>The interface used when none is given: loopback, so nothing leaves the machine by accident.</summary>
    public static readonly IPAddress Interface = IPAddress.Loopback;

    /// <summary>Default group: administratively scoped (239.0.0.0/8), inside the ConfigMgr default range.</summary>
    public static readonly IPAddress Group = IPAddress.Parse("239.255.42.1");

    /// <summary>Default UDP port: the first of ConfigMgr's multicast range 63000-64000.</summary>
    public const int Port = 63000;

    /// <summary>Default multicast TTL: 1, the local link only.</summary>
    public const int Ttl = 1;

    /// <summary>Largest UDP payload that fits a 1500-byte MTU (1500 - 20 IP - 8 UDP).</summary>
    public const int MaxDatagramSize = 1472;

    /// <summary>Default source symbols per block (k); a block is k symbols, about 180 KiB at the default datagram size.</summary>
    public const int SymbolsPerBlock = 128;

    /// <summary>The symbol size that makes a data packet exactly <paramref name="maxDatagramSize"/> bytes.</summary>
    public static int SymbolSizeFor(int maxDatagramSize, bool encrypted) =>
        maxDatagramSize - PacketHeader.Size - DataMessage.FixedSize - (encrypted ? PacketCipher.TagSize : 0);
}
