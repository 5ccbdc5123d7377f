namespace Deploycast.Imaging;

/// <summary>
/// Progress of an apply. <see cref="CompletedBytes"/> never decreases during one apply and equals
/// <see cref="TotalBytes"/> in the last report, whose <see cref="Phase"/> is <see cref="ImageApplyPhase.Done"/>.
/// </summary>
/// <param name="CompletedBytes">
/// Bytes applied so far. For a WIM: uncompressed file data extracted (wimlib's <c>completed_bytes</c>). For a raw
/// image: bytes of the image accounted for, written or left as a sparse hole. For a file: bytes copied.
/// </param>
/// <param name="TotalBytes">
/// Bytes to apply in all. For a WIM: the image's file data (wimlib's <c>total_bytes</c>; hard-linked and duplicate
/// files count once). For a raw image or a file: its length.
/// </param>
/// <param name="Phase">What the apply is doing.</param>
public readonly record struct ImageApplyProgress(long CompletedBytes, long TotalBytes, ImageApplyPhase Phase)
{
    /// <summary>Fraction done, 0 to 1 (1 for an image with no data).</summary>
    public double Fraction => TotalBytes <= 0 ? 1.0 : Math.Clamp((double)CompletedBytes / TotalBytes, 0.0, 1.0);
}
