using Deploycast.Protocol.Manifests;

namespace Deploycast.Multicast.Receiving;

/// <summary>
/// Where a receiver puts the file and its block map. All methods but <see cref="TryResume"/> are called from the
/// receiver's one block-processing thread, in order.
/// </summary>
public interface IReceiverStore
{
    /// <summary>
    /// Looks for a block map left by an earlier run for the same content (same manifest hash). On success returns the
    /// manifest bytes and which file blocks were written and verified; the output is kept and only the rest is fetched.
    /// </summary>
    /// <param name="previousReceiverId">The id the earlier run used, so the sender can tell it is the same receiver.</param>
    bool TryResume(ReadOnlySpan<byte> manifestHash, out byte[] manifest, out bool[] verifiedBlocks, out uint previousReceiverId);

    /// <summary>
    /// Prepares the output for <paramref name="manifest"/>: sized, with a new or resumed block map, and with the
    /// manifest's all-zero blocks (which are never sent) holding zeros and marked verified.
    /// </summary>
    void Begin(ReadOnlySpan<byte> manifestHash, byte[] manifestBytes, TransferManifest manifest, uint receiverId);

    /// <summary>Writes a verified block at <paramref name="offset"/> and records it in the block map.</summary>
    void WriteBlock(int fileBlock, long offset, ReadOnlySpan<byte> data);

    /// <summary>Makes written blocks durable, then saves the block map (so the map never claims unwritten data).</summary>
    void Checkpoint();

    /// <summary>
    /// The final check, once every block is written: makes sure the output holds what was verified and written (each
    /// store says how) and returns the blocks that do not (they are dropped from the block map and fetched again).
    /// </summary>
    IReadOnlyList<int> VerifyFile(TransferManifest manifest, IProgress<long>? progress);

    /// <summary>The file is complete and verified: drop the block map.</summary>
    void Complete();
}
