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
    private uint _receiverId;
    private Task? _checkpoint;
    private bool _completed;
    private IncrementalHash? _prefixHash;
    private int _prefixBlocks;
    private TransferManifest? _manifest;
    private byte[]? _readBack;
    private byte[]? _zeros;

    public FileReceiverStore(string outputPath)
    {
        _path = Path.GetFullPath(outputPath);
        _mapPath = BlockMapFile.PathFor(_path);
    }

    /// <summary>Path of the block map beside the output.</summary>
    public string MapPath => _mapPath;

    public bool TryResume(ReadOnlySpan<byte> manifestHash, out byte[] manifest, out bool[] verifiedBlocks, out uint previousReceiverId)
    {
        if (BlockMapFile.TryLoad(_mapPath, manifestHash, out manifest, out verifiedBlocks, out previousReceiverId) && File.Exists(_path))
        {
            return true;
        }

        manifest = [];
        verifiedBlocks = [];
        previousReceiverId = 0;
        return false;
    }

    public void Begin(ReadOnlySpan<byte> manifestHash, byte[] manifestBytes, TransferManifest manifest, uint receiverId)
    {
        _receiverId = receiverId;
        ArgumentNullException.ThrowIfNull(manifest);
        _manifestHash = manifestHash.ToArray();
        _manifestBytes = manifestBytes;
        var resumed = BlockMapFile.TryLoad(_mapPath, manifestHash, out _, out var verified, out _)
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

        FillZeroBlocks(manifest, resumed);
        BlockMapFile.Save(_mapPath, _manifestHash, _receiverId, _manifestBytes, _verified);
        _manifest = manifest;
        _prefixHash?.Dispose();
        _prefixHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        _prefixBlocks = 0;
    }

    /// <summary>
    /// All-zero blocks are never sent. A new output reads as zeros already (it was created empty and extended);
    /// an output kept from an earlier run may hold anything where the map has no mark, so zeros are written there.
    /// </summary>
    private void FillZeroBlocks(TransferManifest manifest, bool resumed)
    {
        byte[]? zeros = null;
        for (var block = 0; block < manifest.BlockCount; block++)
        {
            if (!manifest.IsZeroBlock(block) || _verified[block])
            {
                continue;
            }

            if (resumed)
            {
                zeros ??= new byte[manifest.BlockSize];
                RandomAccess.Write(_handle!, zeros.AsSpan(0, manifest.BlockLength(block)), (long)block * manifest.BlockSize);
            }

            _verified[block] = true;
        }
    }

    public void WriteBlock(int fileBlock, long offset, ReadOnlySpan<byte> data)
    {
        RandomAccess.Write(_handle!, data, offset);
        _verified[fileBlock] = true;
        _dirty = true;

        // The whole-file hash follows the written prefix, so the final check only reads what came out of order.
        if (fileBlock == _prefixBlocks)
        {
            _prefixHash!.AppendData(data);
            _prefixBlocks++;
            AdvancePrefix();
        }
    }

    /// <summary>Extends the hashed prefix over blocks already written, reading them back.</summary>
    private void AdvancePrefix()
    {
        var manifest = _manifest!;
        while (_prefixBlocks < manifest.BlockCount && _verified[_prefixBlocks])
        {
            var length = manifest.BlockLength(_prefixBlocks);
            if (manifest.IsZeroBlock(_prefixBlocks))
            {
                // Hashed without reading: a mostly empty disk image would otherwise be read back in full.
                _zeros ??= new byte[manifest.BlockSize];
                _prefixHash!.AppendData(_zeros, 0, length);
                _prefixBlocks++;
                continue;
            }

            // Not checked against its block hash again: the block was verified before it was written, and if the disk
            // returns something else the whole-file hash will not match, and VerifyFile then checks every block.
            _readBack ??= GC.AllocateUninitializedArray<byte>(manifest.BlockSize);
            ReadExactly(_readBack.AsSpan(0, length), (long)_prefixBlocks * manifest.BlockSize);
            _prefixHash!.AppendData(_readBack, 0, length);
            _prefixBlocks++;
        }
    }

    /// <summary>
    /// Saves the block map without holding up block writes: the map that is saved is a snapshot taken now, and it is
    /// written only after the file has been flushed to disk on a background thread, so it never claims a block the
    /// disk does not hold. (An fsync of a few hundred megabytes can take a second; done inline, it would stall the
    /// receive loop and read as congestion.) A checkpoint still running when the next is due makes that one a no-op.
    /// </summary>
    public void Checkpoint()
    {
        if (_handle is null || !_dirty || _completed || _checkpoint is { IsCompleted: false })
        {
            return;
        }

        _checkpoint?.GetAwaiter().GetResult(); // surfaces an I/O error of the previous checkpoint
        var snapshot = (bool[])_verified.Clone();
        _dirty = false;
        var handle = _handle;
        _checkpoint = Task.Run(() =>
        {
            RandomAccess.FlushToDisk(handle);
            BlockMapFile.Save(_mapPath, _manifestHash, _receiverId, _manifestBytes, snapshot);
        });
    }

    /// <summary>Waits for a background checkpoint, so the map is not written by two hands at once.</summary>
    private void WaitForCheckpoint()
    {
        var checkpoint = _checkpoint;
        _checkpoint = null;
        checkpoint?.GetAwaiter().GetResult();
    }

    public IReadOnlyList<int> VerifyFile(TransferManifest manifest, IProgress<long>? progress)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        WaitForCheckpoint();
        AdvancePrefix();
        progress?.Report(Math.Min(manifest.FileSize, (long)_prefixBlocks * manifest.BlockSize));
        if (_prefixBlocks == manifest.BlockCount && _prefixHash!.GetCurrentHash().AsSpan().SequenceEqual(manifest.FileHash))
        {
            return [];
        }

        // A block in the map did not read back right, or the whole file differs: find every bad block.
        var bad = new List<int>();
        var buffer = GC.AllocateUninitializedArray<byte>(manifest.BlockSize);
        for (var block = 0; block < manifest.BlockCount; block++)
        {
            var length = manifest.BlockLength(block);
            ReadExactly(buffer.AsSpan(0, length), (long)block * manifest.BlockSize);
            var good = manifest.VerifyBlock(block, buffer.AsSpan(0, length));
            _verified[block] = good;
            if (!good)
            {
                bad.Add(block);
            }

            progress?.Report((long)block * manifest.BlockSize);
        }

        if (bad.Count == 0)
        {
            // Every block matches, so only the hash state could be wrong: rebuild it from the file.
            _prefixHash!.Dispose();
            _prefixHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            _prefixBlocks = 0;
            AdvancePrefix();
            if (!_prefixHash.GetCurrentHash().AsSpan().SequenceEqual(manifest.FileHash))
            {
                // Every block matches its hash but the whole does not match the file hash: the manifest itself is
                // inconsistent, and fetching again would loop forever.
                throw new IOException("the sender's manifest is inconsistent: every block matches but the whole-file SHA-256 does not");
            }
        }

        BlockMapFile.Save(_mapPath, _manifestHash, _receiverId, _manifestBytes, _verified);
        return bad;
    }

    public void Complete()
    {
        WaitForCheckpoint();
        _completed = true;
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

    public void Dispose()
    {
        try
        {
            WaitForCheckpoint();
        }
        catch (IOException)
        {
            // The receiver already reported the failure; disposing must still release the file.
        }

        _handle?.Dispose();
        _prefixHash?.Dispose();
    }
}
