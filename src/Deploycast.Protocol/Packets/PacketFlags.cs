namespace Deploycast.Protocol.Packets;

/// <summary>Header flags. Unknown bits make a packet malformed.</summary>
[Flags]
public enum PacketFlags : byte
{
    None = 0,

    /// <summary>The payload after the message's clear prefix is AES-256-GCM ciphertext followed by a 16-byte tag.</summary>
    Encrypted = 1,
}
