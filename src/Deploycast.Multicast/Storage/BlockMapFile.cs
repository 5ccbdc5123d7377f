using System.Buffers.Binary;

namespace Deploycast.Multicast.Storage;

/// <summary>
/// The block map a receiver keeps beside its output (<c>&lt;output&gt;.dcmap</c>): which blocks are written and
/// verified, for which content (the manifest hash), and the manifest itself, so a restarted receiver resumes
/// without waiting for the manifest. Saved by write-to-temporary then rename, so a crash leaves the old or the new map.
/// <code>"DCMP" u8 version(1) [3] reserved  [32] manifest SHA-256  u32 receiver id  u32 manifest length  manifest  u32 blocks  bitmap</code>
/// </summary>
public static class BlockMapFile
{
    private const int HeaderSize = 48;

    private static ReadOnlySpan<byte> Magic => "DCMP"u8;

    public static string PathFor(string output) => output + ".dcmap";

    internal static void Save(string path, ReadOnlySpan<byte> manifestHash, uint receiverId, ReadOnlySpan<byte> manifest, ReadOnlySpan<bool> verified)
    {
        var bitmapLength = (verified.Length + 7) / 8;
        var bytes = new byte[HeaderSize + manifest.Length + 4 + bitmapLength];
        Magic.CopyTo(bytes);
        bytes[4] = 1;
        manifestHash.CopyTo(bytes.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(40), receiverId);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(44), manifest.Length);
        manifest.CopyTo(bytes.AsSpan(HeaderSize));
        var at = HeaderSize + manifest.Length;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(at), verified.Length);
        at += 4;
        for (var i = 0; i < verified.Length; i++)
        {
            if (verified[i])
            {
                bytes[at + (i >> 3)] |= (byte)(1 << (i & 7));
            }
        }

        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    internal static bool TryLoad(string path, ReadOnlySpan<byte> manifestHash, out byte[] manifest, out bool[] verified, out uint receiverId)
    {
        manifest = [];
        verified = [];
        receiverId = 0;
        if (!File.Exists(path))
        {
            return false;
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderSize + 4 || !bytes.AsSpan(0, 4).SequenceEqual(Magic) || bytes[4] != 1
            || !bytes.AsSpan(8, 32).SequenceEqual(manifestHash))
        {
            return false;
        }

        var manifestLength = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(44));
        if (manifestLength < 0 || (long)HeaderSize + manifestLength + 4 > bytes.Length)
        {
            return false;
        }

        var at = HeaderSize + manifestLength;
        var blocks = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
        at += 4;
        if (blocks < 0 || at + ((blocks + 7L) / 8) != bytes.Length)
        {
            return false;
        }

        receiverId = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(40));
        manifest = bytes.AsSpan(HeaderSize, manifestLength).ToArray();
        verified = new bool[blocks];
        for (var i = 0; i < blocks; i++)
        {
            verified[i] = (bytes[at + (i >> 3)] & (1 << (i & 7))) != 0;
        }

        return true;
    }
}
