namespace Deploycast.Content.Library;

/// <summary>Settings of a distribution point's content library.</summary>
public sealed class ContentLibraryOptions
{
    /// <summary>
    /// 182,528 bytes: 128 symbols of 1,426 bytes, the multicast sessions' block. Manifests use the block size of the
    /// sessions that send them, so one manifest serves encrypted and clear sessions alike.
    /// </summary>
    public const int DefaultBlockSize = 1426 * 128;

    /// <summary>Smallest block size accepted.</summary>
    public const int MinBlockSize = 512;

    /// <summary>Largest block size accepted (16 MiB): an import holds two chunks of whole blocks in memory.</summary>
    public const int MaxBlockSize = 16 * 1024 * 1024;

    /// <summary>Directory that holds the library (created when missing). Required.</summary>
    public string Root { get; set; } = "";

    /// <summary>Block size of new manifests. Default <see cref="DefaultBlockSize"/> (182,528); the distribution point passes its own.</summary>
    public int BlockSize { get; set; } = DefaultBlockSize;

    /// <summary>Throws an <see cref="ArgumentException"/> that names the setting when a value is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Root))
        {
            throw new ArgumentException("ContentLibraryOptions.Root must name the directory of the content library.", nameof(Root));
        }

        if (BlockSize is < MinBlockSize or > MaxBlockSize)
        {
            throw new ArgumentException(
                $"ContentLibraryOptions.BlockSize is {BlockSize:N0}; it must be between {MinBlockSize:N0} and {MaxBlockSize:N0} bytes.",
                nameof(BlockSize));
        }
    }
}
