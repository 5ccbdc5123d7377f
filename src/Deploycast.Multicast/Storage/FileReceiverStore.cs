using Deploycast.Multicast.Receiving;
using Deploycast.Protocol.Manifests;
using Microsoft.Win32.SafeHandles;

namespace Deploycast.Multicast.Storage;

/// <summary>
/// Writes the received file with positional writes (blocks land out of order) and keeps its block map beside it.
/// A new output is preallocated, so a full disk is reported before the transfer instead of in the middle.
/// <para>
/// Every block reaches <see cref="WriteBlock"/> already checked against its SHA-256 in the signed manifest, so the file
/// is verified block by block; the store also makes sure the output reads back as written. It follows the written
/// prefix: a block written when every block before it is in place needs nothing more; a block written ahead of the
/// prefix is read back when the prefix reaches it and compared with a fast checksum taken when it was written
/// (<see cref="BlockChecksum"/>); a block kept from an earlier run (resume) is read back and checked against its SHA-256.
/// A block that does not read back right loses its mark and is fetched again. (Until stop 5 the store also extended a
/// whole-file SHA-256 over the prefix: a second SHA-256 pass over every byte, about a quarter of a receiver's CPU,
/// that proved nothing the per-block hashes of a signed manifest do not.)
/// </para>
/// </summary>
public sealed class FileReceiverStore : IReceiverStore, IDisposable
{
    // How much is written between two starts of background writeback (see StartWritebackEvery).
    private const long WritebackBytes = 8 << 20;

    private readonly string _path;
    private readonly string _mapPath;
    private SafeFileHandle? _handle;
    private byte[] _manifestHash = [];
    private byte[] _manifestBytes = [];
    private bool[] _verified = [];
    private bool _dirty;
    private uint _receiverId;
    private Task? _checkpoint;
    private Task? _writeback;
    private long _writtenSinceWriteback;
    private bool _completed;
    private int _prefixBlocks;
    private TransferManifest? _manifest;
    private byte[]? _readBack;
    private long _droppedBytes;

    // Per file block: how it is checked when the prefix reaches it, and the checksum of a block written ahead of it.
    private ReadBack[] _readBackCheck = [];
    private ulong[] _checksums = [];

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
        _readBackCheck = _verified.Select(v => v ? ReadBack.BlockHash : ReadBack.None).ToArray();
        _checksums = new ulong[manifest.BlockCount];
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
        _prefixBlocks = 0;
        _droppedBytes = 0;
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
        StartWritebackEvery(data.Length);
        if (fileBlock == _prefixBlocks)
        {
            _readBackCheck[fileBlock] = ReadBack.None;
            _prefixBlocks++;
            AdvancePrefix();
        }
        else
        {
            _checksums[fileBlock] = BlockChecksum.Compute(data);
            _readBackCheck[fileBlock] = ReadBack.Checksum;
        }
    }

    /// <summary>
    /// Extends the checked prefix over blocks already marked, reading back those written ahead of it and those an
    /// earlier run left. It stops at a block that does not read back right, which loses its mark (the final check
    /// reports it, and it is fetched again).
    /// </summary>
    private void AdvancePrefix()
    {
        var manifest = _manifest!;
        while (_prefixBlocks < manifest.BlockCount && _verified[_prefixBlocks])
        {
            var block = _prefixBlocks;
            var check = _readBackCheck[block];
            if (check != ReadBack.None)
            {
                var length = manifest.BlockLength(block);
                _readBack ??= GC.AllocateUninitializedArray<byte>(manifest.BlockSize);
                var data = _readBack.AsSpan(0, length);
                ReadExactly(data, (long)block * manifest.BlockSize);
                var good = check == ReadBack.Checksum
                    ? BlockChecksum.Compute(data) == _checksums[block]
                    : manifest.IsZeroBlock(block) ? !data.ContainsAnyExcept((byte)0) : manifest.VerifyBlock(block, data);
                _readBackCheck[block] = ReadBack.None;
                if (!good)
                {
                    // What the disk returned is not what was written: drop the mark (the next checkpoint saves that).
                    _verified[block] = false;
                    _dirty = true;
                    return;
                }
            }

            // All-zero blocks this run filled, and blocks written in order, are not read back: the ones were created as
            // zeros, the others were checked against their SHA-256 just before they were written.
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

        // The checked prefix is written and never read again: once flushed, its cached pages go back to the kernel.
        var dropFrom = _droppedBytes;
        var dropTo = Math.Min((long)_prefixBlocks * _manifest!.BlockSize, _manifest.FileSize);
        _droppedBytes = Math.Max(dropFrom, dropTo);
        _checkpoint = Task.Run(() =>
        {
            RandomAccess.FlushToDisk(handle);
            BlockMapFile.Save(_mapPath, _manifestHash, _receiverId, _manifestBytes, snapshot);
            PageCache.DropClean(handle, dropFrom, dropTo - dropFrom);
        });
    }

    /// <summary>
    /// Every <see cref="WritebackBytes"/> written, starts the disk writing them on a background thread, so the data is
    /// on its way long before a checkpoint or the final flush waits for it. Without this the final flush met up to a
    /// checkpoint interval of dirty data at once: 0.25-0.7 s at the end of a 1 GiB download in the lab without a cap,
    /// where four receivers share one disk, against 0.19-0.3 s with it. (Started from this thread for every block
    /// instead, it held up block writing whenever the disk's queue was full, and the transfer was slower.)
    /// </summary>
    private void StartWritebackEvery(int written)
    {
        _writtenSinceWriteback += written;
        if (_writtenSinceWriteback < WritebackBytes || _writeback is { IsCompleted: false })
        {
            return;
        }

        _writtenSinceWriteback = 0;
        var handle = _handle!;
        _writeback = Task.Run(() => PageCache.StartWriteback(handle));
    }

    /// <summary>
    /// Waits for a background checkpoint, so the map is not written by two hands at once, and for a writeback start,
    /// so nothing uses the file handle once the store completes or closes it.
    /// </summary>
    private void WaitForCheckpoint()
    {
        var checkpoint = _checkpoint;
        _checkpoint = null;
        checkpoint?.GetAwaiter().GetResult();
        _writeback?.GetAwaiter().GetResult();
    }

    public IReadOnlyList<int> VerifyFile(TransferManifest manifest, IProgress<long>? progress)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        WaitForCheckpoint();
        var bad = new List<int>();
        while (true)
        {
            AdvancePrefix();
            progress?.Report(Math.Min(manifest.FileSize, (long)_prefixBlocks * manifest.BlockSize));
            if (_prefixBlocks == manifest.BlockCount)
            {
                break;
            }

            // The prefix stops at a block without its mark: one that did not read back right (or was never written).
            // Note it and check the rest beyond it.
            bad.Add(_prefixBlocks);
            _prefixBlocks++;
        }

        // The next round starts from the first bad block: blocks fetched again are then written in order.
        if (bad.Count > 0)
        {
            _prefixBlocks = bad[0];
            BlockMapFile.Save(_mapPath, _manifestHash, _receiverId, _manifestBytes, _verified);
        }

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
    }

    /// <summary>How a marked block is checked when the prefix reaches it.</summary>
    private enum ReadBack : byte
    {
        /// <summary>Not read back: written in order, just after its SHA-256 was checked (or a zero block this run filled).</summary>
        None,

        /// <summary>Written ahead of the prefix: read back and compared with its write-time checksum.</summary>
        Checksum,

        /// <summary>Left by an earlier run: read back and checked against its SHA-256 (or that it is all zeros).</summary>
        BlockHash,
    }
}
