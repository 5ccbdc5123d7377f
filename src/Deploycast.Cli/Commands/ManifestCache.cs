using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Deploycast.Content.Library;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Cli.Commands;

/// <summary>
/// Keeps the manifest of a file that was sent before, so sending the same image again does not re-read and hash
/// it (minutes for a 20 GB image). An entry is used only for the same full path, size, last-write time and block
/// size; the sender also checks every block it reads against the entry (the block checksums kept with the manifest)
/// and stops if the file changed anyway.
/// Entries live in <c>$XDG_CACHE_HOME/deploycast/manifests</c> (default <c>~/.cache/...</c>); a cache that cannot be
/// written is skipped silently.
/// </summary>
internal static class ManifestCache
{
    // Version 2 keeps the block checksums after the manifest; a version 1 entry is rebuilt once.
    private static ReadOnlySpan<byte> Magic => "DCMC2\n"u8;

    public static async Task<(HashedFile File, bool FromCache)> LoadOrBuildAsync(FileInfo file, int blockSize, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var key = Key(file, blockSize);
        var path = EntryPath(file);
        if (TryLoad(path, key) is { } cached)
        {
            return (cached, true);
        }

        HashedFile hashed;
        using (var handle = File.OpenHandle(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan))
        {
            hashed = await FileManifest.BuildAsync(handle, blockSize, progress, cancellationToken).ConfigureAwait(false);
        }

        TrySave(path, key, hashed);
        return (hashed, false);
    }

    /// <summary>Drops the file's entry (the sender found the file no longer matches it).</summary>
    public static void Forget(FileInfo file)
    {
        try
        {
            File.Delete(EntryPath(file));
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static byte[] Key(FileInfo file, int blockSize)
    {
        file.Refresh();
        return SHA256.HashData(Encoding.UTF8.GetBytes($"{file.FullName}\n{file.Length}\n{file.LastWriteTimeUtc.Ticks}\n{blockSize}"));
    }

    private static string EntryPath(FileInfo file)
    {
        var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(root))
        {
            root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        }

        var name = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(file.FullName)))[..32].ToLowerInvariant();
        return Path.Combine(root, "deploycast", "manifests", name + ".dcmf");
    }

    // Entry: magic, key, SHA-256 of the body; body: u32 manifest length, the manifest, then one u64 checksum per block
    // (little-endian).
    private static HashedFile? TryLoad(string path, ReadOnlySpan<byte> key)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            var header = Magic.Length + key.Length + 32;
            if (bytes.Length < header || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic) || !bytes.AsSpan(Magic.Length, key.Length).SequenceEqual(key))
            {
                return null;
            }

            // The entry carries its own checksum, so a torn or damaged entry is rebuilt rather than trusted.
            var body = bytes.AsSpan(header);
            if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(Magic.Length + key.Length, 32)))
            {
                return null;
            }

            if (body.Length < sizeof(uint))
            {
                return null;
            }

            var manifestLength = BinaryPrimitives.ReadUInt32LittleEndian(body);
            if (manifestLength > body.Length - sizeof(uint))
            {
                return null;
            }

            var manifest = TransferManifest.TryParse(body.Slice(sizeof(uint), (int)manifestLength), out _);
            var rest = body[(sizeof(uint) + (int)manifestLength)..];
            if (manifest is null || rest.Length != manifest.BlockCount * sizeof(ulong))
            {
                return null;
            }

            var checksums = new ulong[manifest.BlockCount];
            for (var i = 0; i < checksums.Length; i++)
            {
                checksums[i] = BinaryPrimitives.ReadUInt64LittleEndian(rest[(i * sizeof(ulong))..]);
            }

            return new HashedFile(manifest, checksums);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void TrySave(string path, ReadOnlySpan<byte> key, HashedFile hashed)
    {
        try
        {
            var manifest = hashed.Manifest.Serialize();
            var body = new byte[sizeof(uint) + manifest.Length + (hashed.BlockChecksums.Length * sizeof(ulong))];
            BinaryPrimitives.WriteUInt32LittleEndian(body, (uint)manifest.Length);
            manifest.CopyTo(body, sizeof(uint));
            for (var i = 0; i < hashed.BlockChecksums.Length; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(sizeof(uint) + manifest.Length + (i * sizeof(ulong))), hashed.BlockChecksums[i]);
            }

            var bytes = new byte[Magic.Length + key.Length + 32 + body.Length];
            Magic.CopyTo(bytes);
            key.CopyTo(bytes.AsSpan(Magic.Length));
            SHA256.HashData(body, bytes.AsSpan(Magic.Length + key.Length, 32));
            body.CopyTo(bytes, Magic.Length + key.Length + 32);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = path + "." + Environment.ProcessId + ".tmp";
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, path, overwrite: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
