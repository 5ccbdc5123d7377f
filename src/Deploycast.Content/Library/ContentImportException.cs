namespace Deploycast.Content.Library;

/// <summary>An import failed. The message names the file and the reason; nothing of the import is left in the library.</summary>
public sealed class ContentImportException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ContentImportException(string sourcePath, string message, Exception? innerException = null)
        : base(message, innerException) => SourcePath = sourcePath;

    /// <summary>Full path of the file that was being imported.</summary>
    public string SourcePath { get; }

    /// <summary>True when the content library's disk was full.</summary>
    public bool DiskFull { get; init; }
}
