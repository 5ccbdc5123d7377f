using Deploycast.Multicast.Receiving;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Multicast.Storage;

/// <summary>
/// An output in memory, for simulations. Like a file, it keeps what was written across a receiver "crash"; its block
/// map keeps only what the last checkpoint saved, so a restarted receiver resumes from there.
/// </summary>
public sealed class MemoryReceiverStore : IReceiverStore
{
    private byte[] _manifestHash = [];
    private byte[] _savedManifest = [];
    private bool[] _verified = [];
    private bool[] _savedVerified = [];
    private bool _hasMap;
    private uint _receiverId;
    private readonly List<int> _writeOrder = [];

    /// <summary>The output's bytes.</summary>
    public byte[] Data { get; private set; } = [];

    /// <summary>True once the receiver completed and dropped the map.</summary>
    public bool Completed { get; private set; }

    /// <summary>Blocks written (counting rewrites).</summary>
    public int BlocksWritten => _writeOrder.Count;

    /// <summary>File blocks in the order they were written (rewrites included).</summary>
    public IReadOnlyList<int> WriteOrder => _writeOrder;

    /// <summary>Flip a byte after it is written, to prove verification catches a disk that lies (tests).</summary>
    public Func<int, bool>? CorruptWrite { get; set; }

    public bool TryResume(ReadOnlySpan<byte> manifestHash, out byte[] manifest, out bool[] verifiedBlocks, out uint previousReceiverId)
    {
        previousReceiverId = _receiverId;
        manifest = _savedManifest;
        verifiedBlocks = (bool[])_savedVerified.Clone();
        return _hasMap && manifestHash.SequenceEqual(_manifestHash);
    }

    public void Begin(ReadOnlySpan<byte> manifestHash, byte[] manifestBytes, TransferManifest manifest, uint receiverId)
    {
        _receiverId = receiverId;
        ArgumentNullException.ThrowIfNull(manifest);
        var resumed = _hasMap && manifestHash.SequenceEqual(_manifestHash);
        _manifestHash = manifestHash.ToArray();
        _savedManifest = manifestBytes;
        _verified = resumed ? (bool[])_savedVerified.Clone() : new bool[manifest.BlockCount];
        if (!resumed)
        {
            Data = new byte[manifest.FileSize];
        }

        for (var block = 0; block < manifest.BlockCount; block++)
        {
            if (manifest.IsZeroBlock(block) && !_verified[block])
            {
                Data.AsSpan((int)((long)block * manifest.BlockSize), manifest.BlockLength(block)).Clear();
                _verified[block] = true;
            }
        }

        Completed = false;
        Save();
    }

    public void WriteBlock(int fileBlock, long offset, ReadOnlySpan<byte> data)
    {
        data.CopyTo(Data.AsSpan((int)offset));
        if (CorruptWrite?.Invoke(fileBlock) == true)
        {
            Data[offset] ^= 0xFF;
        }

        _verified[fileBlock] = true;
        _writeOrder.Add(fileBlock);
    }

    public void Checkpoint() => Save();

    public IReadOnlyList<int> VerifyFile(TransferManifest manifest, IProgress<long>? progress)
    {
        // Stricter than the file store, which reads back only what it did not write in order: simulations check every
        // block, so a test can corrupt any write and see it fetched again.
        ArgumentNullException.ThrowIfNull(manifest);
        var bad = new List<int>();
        for (var block = 0; block < manifest.BlockCount; block++)
        {
            if (!manifest.VerifyBlock(block, Data.AsSpan(block * manifest.BlockSize, manifest.BlockLength(block))))
            {
                bad.Add(block);
                _verified[block] = false;
            }
        }

        if (bad.Count > 0)
        {
            Save();
        }

        return bad;
    }

    public void Complete()
    {
        Completed = true;
        _hasMap = false;
    }

    private void Save()
    {
        _savedVerified = (bool[])_verified.Clone();
        _hasMap = true;
    }
}
