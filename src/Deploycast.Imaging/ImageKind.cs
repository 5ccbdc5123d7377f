namespace Deploycast.Imaging;

/// <summary>How an image file is applied to a computer.</summary>
public enum ImageKind
{
    /// <summary>Any other file: placed at a path as it is (copied, then renamed into place).</summary>
    File = 0,

    /// <summary>A Windows Imaging Format file: one of its images is applied through wimlib to a directory or an NTFS volume.</summary>
    Wim = 1,

    /// <summary>A raw disk or partition image: written byte for byte to a block device or a file, all-zero extents left sparse.</summary>
    Raw = 2,
}
