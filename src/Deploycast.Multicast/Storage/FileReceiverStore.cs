using System.Security.Cryptography;
using Deploycast.Multicast.Receiving;
using Deploycast.Protocol.Manifests;
using Microsoft.Win32.SafeHandles;

namespace Deploycast.Multicast.Storage;

/// <summary>
/// Writes the received file with positional writes (blocks land out of order) and keeps its block map beside it.
/// A new output is preallocated, so a full disk is reported before the transfer instead of in the middle.
/// </summary>
public sealed class FileReceiverStore : IReceiverStore, IDisposable
{
    private readonly string _path;
    private readonly string _mapPath;
    private SafeFileHandle? _handle;
    private byte[] _manifestHash = [];
    private byte[] _manifestBytes = [];
    private bool[] _verified = [];
    private bool _dirty;

    public FileReceiverStore(string outputPath)
    {
        _path = Path.GetFullPath(outputPath);
        _mapPath = BlockMapFile.PathFor(_path);
    }

    /// <summary>Path of the block map beside the output.</summary>
    public string MapPath => _mapPath;

    public bool TryResume(ReadOnlySpan<byte> manifestHash, out byte[] manifest, out bool[] verifiedBlocks)
    {
        if (BlockMapFile.TryLoad(_mapPath, manifestHash, out manifest, out verifiedBlocks) && File.Exists(_path))
        {
            return true;
        }

        manifest = [];
        verifiedBlocks = [];
        return false;
    }

    public void Begin(ReadOnlySpan<byte> manifestHash, byte[] manifestBytes, TransferManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        _manifestHash = manifestHash.ToArray();
        _manifestBytes = manifestBytes;
        var resumed = BlockMapFile.TryLoad(_mapPath, manifestHash, out _, out var verified)
            && verified.Length == manifest.BlockCount && File.Exists(_path);
        _verified = resumed ? verified : new bool[manifest.BlockCount];
        var directory = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        _handle = resumed
            ? File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read)
            : File.OpenHandle(_path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, FileOptions.None, manifest.FileSize);
        if (RandomAccess.GetLength(_handle) != manifest.FileSize)
        {
            RandomAccess.SetLength(_handle, manifest.FileSize);
        }

        BlockMapFile.Save(_mapPath, _manifestHash, _manifestBytes, _verified);
    }

    public void WriteBlock(int fileBlock, long offset, ReadOnlySpan<byte> data)
    {
        RandomAccess.Write(_handle!, data, offset);
        _verified[fileBlock] = true;
        _dirty = true;
    }

    public void Checkpoint()
    {
        if (_handle is null || !_dirty)
        {
            return;
        }

        RandomAccess.FlushToDisk(_handle);
        BlockMapFile.Save(_mapPath, _manifestHash, _manifestBytes, _verified);
        _dirty = false;
    }

    public IReadOnlyList<int> VerifyFile(TransferManifest manifest, IProgress<long>? progress)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = GC.AllocateUninitializedArray<byte>(Math.Max(manifest.BlockSize, 1 << 20));
        var blocksPerRead = Math.Max(1, buffer.Length / manifest.BlockSize);
        var bad = new List<int>();
        long offset = 0;
        for (var block = 0; block < manifest.BlockCount; block += blocksPerRead)
        {
            var count = Math.Min(blocksPerRead, manifest.BlockCount - block);
            var length = (int)Math.Min((long)count * manifest.BlockSize, manifest.FileSize - offset);
            ReadExactly(buffer.AsSpan(0, length), offset);
            whole.AppendData(buffer, 0, length);

            // Each block is checked again as it is read back: what the disk returns is what was verified.
            for (var i = 0; i < count; i++)
            {
                var blockLength = manifest.BlockLength(block + i);
                if (!manifest.VerifyBlock(block + i, buffer.AsSpan(i * manifest.BlockSize, blockLength)))
                {
                    bad.Add(block + i);
                }
            }

            offset += length;
            progress?.Report(offset);
        }

        if (bad.Count == 0 && !whole.GetHashAndReset().AsSpan().SequenceEqual(manifest.FileHash))
        {
            bad.AddRange(Enumerable.Range(0, manifest.BlockCount));
        }

        if (bad.Count > 0)
        {
            foreach (var block in bad)
            {
                _verified[block] = false;
            }

            BlockMapFile.Save(_mapPath, _manifestHash, _manifestBytes, _verified);
        }

        return bad;
    }

    public void Complete()
    {
        if (_handle is not null)
        {
            RandomAccess.FlushToDisk(_handle);
        }

        File.Delete(_mapPath);
    }

    private void ReadExactly(Span<byte> destination, long offset)
    {
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(_handle!, destination, offset);
            if (read == 0)
            {
                throw new IOException($"{_path} ended early at {offset}");
            }

            destination = destination[read..];
            offset += read;
        }
    }

    public void Dispose() => _handle?.Dispose();
}
