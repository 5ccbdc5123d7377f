using Deploycast.Multicast;
using Deploycast.Multicast.Sending;

namespace Deploycast.DistributionPoint.Hosting;

/// <summary>Transport settings every session of a distribution point shares.</summary>
public static class DistributionPointDefaults
{
    /// <summary>
    /// Symbols are sized for an encrypted packet at a 1500-byte MTU, encrypted or not, so the content library hashes
    /// each image once with one block size (the manifest's) whatever the package's encryption option becomes. A clear
    /// session gives up 16 bytes (1.1%) per packet for that.
    /// </summary>
    public static readonly int SymbolSize = MulticastDefaults.SymbolSizeFor(MulticastDefaults.MaxDatagramSize, encrypted: true);

    /// <summary>The sender options sessions start from (the scheduler's plan fills in rate, receivers and key).</summary>
    public static SenderOptions SenderOptions { get; } = SenderOptions.Default with
    {
        SymbolSize = SymbolSize,
        EndWhenReceiversDone = false,
    };

    /// <summary>The content library's block size: what the manifests are built with.</summary>
    public static int BlockSize => SenderSession.BlockSizeFor(SenderOptions);
}
