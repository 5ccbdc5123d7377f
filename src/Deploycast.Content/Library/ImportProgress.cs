namespace Deploycast.Content.Library;

/// <summary>
/// Progress of an import or a validation: reported after every chunk read (about every 4 MiB) and once at the end,
/// when <see cref="BytesRead"/> equals <see cref="TotalBytes"/>.
/// </summary>
/// <param name="BytesRead">Bytes read so far.</param>
/// <param name="TotalBytes">Bytes to read in all (for a validation: of every item being validated).</param>
/// <param name="ContentId">For a validation, the item being read; null during an import.</param>
public readonly record struct ImportProgress(long BytesRead, long TotalBytes, string? ContentId = null);
