namespace Deploycast.Imaging.Raw;

/// <summary>How a <see cref="RawImageWriter"/> treats its target.</summary>
public sealed record RawImageWriterOptions
{
    /// <summary>The defaults: a block device target is fully written, zeros included.</summary>
    public static RawImageWriterOptions Default { get; } = new();

    /// <summary>
    /// The target block device is known to read as zeros already (new, or discarded with blkdiscard on a device that
    /// guarantees zeroes after discard), so all-zero pages are skipped on it as they are on a regular file. Default
    /// false: zeros are written to a block device, since whatever it held before would otherwise show through.
    /// A regular file target is always made sparse; this option does not change that.
    /// </summary>
    public bool AssumeZeroedTarget { get; init; }

    /// <summary>Flush the target to disk (fsync) in <see cref="RawImageWriter.Complete"/>. Default true.</summary>
    public bool FlushToDisk { get; init; } = true;
}
