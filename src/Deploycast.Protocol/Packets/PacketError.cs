namespace Deploycast.Protocol.Packets;

/// <summary>Why a datagram was rejected. Receivers count rejections per reason instead of throwing.</summary>
public enum PacketError
{
    None = 0,
    Truncated,
    Oversized,
    NotDeploycast,
    UnsupportedVersion,
    UnknownType,
    Malformed,
    ForeignSession,
    AuthenticationFailed,
    NotEncrypted,
    EncryptionRequired,
}
