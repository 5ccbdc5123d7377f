namespace Deploycast.Content.Library;

/// <summary>What the content library knows about a stored copy.</summary>
public enum ContentState
{
    /// <summary>
    /// Checked good (at import or by the last validation) and its data file has the same length and last-write
    /// time as then: servable.
    /// </summary>
    Valid,

    /// <summary>
    /// The last validation found bad blocks, a wrong length or whole-file hash, or the manifest or its signature does
    /// not verify. Kept on disk for an administrator to look at; never served until a later validation finds it good
    /// (or it is imported again).
    /// </summary>
    Corrupt,

    /// <summary>The data file is gone.</summary>
    Missing,

    /// <summary>
    /// The data file's length or last-write time changed since it was last checked, or the library's record of it is
    /// lost: not served until validation checks it again.
    /// </summary>
    Unverified,
}
