namespace Deploycast.Imaging;

/// <summary>What <see cref="ImageApplier"/> needs besides the image and the target (from the task sequence step and the package).</summary>
public sealed record ImageApplyOptions
{
    /// <summary>The defaults: image 1 of a WIM, kind detected, block devices fully written.</summary>
    public static ImageApplyOptions Default { get; } = new();

    /// <summary>1-based index of the WIM image to apply (ignored for other kinds). Default 1.</summary>
    public int WimImageIndex { get; init; } = 1;

    /// <summary>The package says the file is a raw disk image whatever its name (a WIM is still detected by its magic). Default false.</summary>
    public bool TreatAsRaw { get; init; }

    /// <summary>For a raw image on a block device: the device already reads as zeros, so zero pages are skipped. Default false.</summary>
    public bool AssumeZeroedTarget { get; init; }
}
