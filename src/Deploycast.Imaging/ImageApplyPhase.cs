namespace Deploycast.Imaging;

/// <summary>What an apply is doing when it reports progress.</summary>
public enum ImageApplyPhase
{
    /// <summary>Creating directories and empty files (WIM), or nothing written yet.</summary>
    Preparing = 0,

    /// <summary>Writing file data (WIM) or image bytes (raw, file): <see cref="ImageApplyProgress.CompletedBytes"/> grows.</summary>
    Writing = 1,

    /// <summary>Setting timestamps, attributes and security on what was written (WIM), or flushing to disk (raw, file).</summary>
    Finishing = 2,

    /// <summary>The apply is complete: <see cref="ImageApplyProgress.CompletedBytes"/> equals <see cref="ImageApplyProgress.TotalBytes"/>.</summary>
    Done = 3,
}
