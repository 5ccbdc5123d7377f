namespace Deploycast.Imaging.Wim;

/// <summary>One image inside a WIM file, from the WIM's XML data.</summary>
/// <param name="Index">1-based index, as wimapply, DISM and task sequences number images.</param>
/// <param name="Name">The image's name; empty when it has none.</param>
/// <param name="Description">The image's description; null when it has none.</param>
/// <param name="TotalBytes">Bytes of file data in the image (the XML's TOTALBYTES); null when the WIM does not say.</param>
/// <param name="FileCount">Files in the image (FILECOUNT); null when the WIM does not say.</param>
/// <param name="DirectoryCount">Directories in the image (DIRCOUNT); null when the WIM does not say.</param>
public sealed record WimImageInfo(int Index, string Name, string? Description, long? TotalBytes, long? FileCount, long? DirectoryCount);
