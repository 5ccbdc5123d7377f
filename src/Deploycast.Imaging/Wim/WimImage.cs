using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Deploycast.Imaging.Unix;

namespace Deploycast.Imaging.Wim;

/// <summary>
/// A WIM file opened through wimlib: lists its images and applies one to a directory or to an unmounted NTFS volume.
/// One apply at a time per instance (wimlib does not allow two threads on one WIM); open the file twice to apply
/// two images at once. Requires wimlib (<c>libwim.so.15</c>, Debian package libwim15).
/// </summary>
public sealed class WimImage : IDisposable
{
    private readonly WimHandle _handle;
    private readonly WimProgressSink _sink;
    private readonly Lock _gate = new();

    private WimImage(string path, WimHandle handle, WimProgressSink sink, IReadOnlyList<WimImageInfo> images, int bootIndex)
    {
        Path = path;
        _handle = handle;
        _sink = sink;
        Images = images;
        BootIndex = bootIndex;
    }

    /// <summary>Full path of the WIM file.</summary>
    public string Path { get; }

    /// <summary>The images in the file, in index order (the first has index 1).</summary>
    public IReadOnlyList<WimImageInfo> Images { get; }

    /// <summary>Number of images in the file.</summary>
    public int ImageCount => Images.Count;

    /// <summary>1-based index of the image marked bootable, or 0 when none is.</summary>
    public int BootIndex { get; }

    /// <summary>
    /// Opens <paramref name="path"/> and reads its image list. Throws <see cref="ImageApplyException"/> when the file
    /// is missing, is not a WIM, is damaged in its header or XML, is one part of a split WIM, or wimlib is not installed.
    /// </summary>
    public static unsafe WimImage Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new ImageApplyException(fullPath, $"Cannot open {fullPath}: the file does not exist.");
        }

        WimLibrary.EnsureInitialised(fullPath);

        var sink = new WimProgressSink();
        var context = GCHandle.Alloc(sink);
        var nativePath = WimString.Allocate(fullPath);
        int code;
        nint wim;
        try
        {
            // Open flags 0: no integrity-table check (the agent opens files whose SHA-256 was already verified
            // against the signed manifest), and a split WIM part is refused below rather than half-opened.
            code = WimNative.OpenWimWithProgress(nativePath, 0, out wim, &WimProgressSink.OnProgress, GCHandle.ToIntPtr(context));
        }
        finally
        {
            WimString.Release(nativePath);
        }

        if (code != 0)
        {
            context.Free();
            throw Failure(fullPath, null, code, $"Cannot open {fullPath}");
        }

        var handle = new WimHandle(wim, context);
        try
        {
            WimNative.WimInfo info;
            code = WimNative.GetWimInfo(wim, &info);
            if (code != 0)
            {
                throw Failure(fullPath, null, code, $"Cannot read the header of {fullPath}");
            }

            if (info.TotalParts > 1)
            {
                throw new ImageApplyException(
                    fullPath,
                    $"Cannot apply {fullPath}: it is part {info.PartNumber} of a split WIM of {info.TotalParts} parts; join it into one file first (wimlib-imagex join).")
                {
                    WimErrorCode = WimNative.ErrIsSplitWim,
                    WimErrorText = WimLibrary.ErrorText(WimNative.ErrIsSplitWim),
                };
            }

            var images = new WimImageInfo[info.ImageCount];
            for (var index = 1; index <= images.Length; index++)
            {
                images[index - 1] = ReadImageInfo(wim, index);
            }

            return new WimImage(fullPath, handle, sink, images, (int)info.BootIndex);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The image with 1-based <paramref name="index"/>; <see cref="ImageApplyException"/> when there is none.</summary>
    public WimImageInfo GetImage(int index)
    {
        CheckIndex(index);
        return Images[index - 1];
    }

    /// <summary>
    /// Applies image <paramref name="index"/> (1-based) to <paramref name="target"/>, blocking until it is done.
    /// <para>
    /// A directory (created when missing) receives the image's files, with their UNIX owner and mode when the WIM
    /// was captured with them (<c>--unix-data</c>). A block device or a regular file that holds an NTFS file system
    /// (not mounted) receives the image as NTFS-3G applies it: wimlib's NTFS mode, which keeps Windows security
    /// descriptors, short names and reparse points as Windows needs them; anything else there is refused.
    /// </para>
    /// <para>
    /// Progress is reported through <paramref name="progress"/> as bytes of file data written out of the image's
    /// total, on the calling thread, ending with <see cref="ImageApplyPhase.Done"/>. Cancellation takes effect at
    /// wimlib's next progress message and throws <see cref="OperationCanceledException"/>; what was written so far
    /// stays in the target. Failures throw <see cref="ImageApplyException"/> naming the file and the index.
    /// </para>
    /// </summary>
    public unsafe void Apply(int index, string target, IProgress<ImageApplyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        CheckIndex(index);
        cancellationToken.ThrowIfCancellationRequested();

        var fullTarget = System.IO.Path.GetFullPath(target);
        var flags = TargetFlags(index, fullTarget);

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            var addedReference = false;
            var nativeTarget = WimString.Allocate(fullTarget);
            int code;
            try
            {
                _handle.DangerousAddRef(ref addedReference);
                _sink.Begin(progress, cancellationToken);
                code = WimNative.ExtractImage(_handle.DangerousGetHandle(), index, nativeTarget, flags);
            }
            finally
            {
                WimString.Release(nativeTarget);
                if (addedReference)
                {
                    _handle.DangerousRelease();
                }
            }

            try
            {
                if (code == 0)
                {
                    _sink.End(succeeded: true);
                    return;
                }

                if (code == WimNative.ErrAbortedByProgress && _sink.HandlerFailure is { } failure)
                {
                    ExceptionDispatchInfo.Capture(failure).Throw();
                }

                if (code == WimNative.ErrAbortedByProgress && cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException($"Applying image {index} of {Path} to {fullTarget} was canceled.", cancellationToken);
                }

                throw Failure(Path, index, code, $"Cannot apply image {index} of {Path} to {fullTarget}");
            }
            finally
            {
                _sink.End(succeeded: false);
            }
        }
    }

    /// <summary>Closes the file (<c>wimlib_free</c>).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _handle.Dispose();
        }
    }

    private void CheckIndex(int index)
    {
        if (index < 1 || index > Images.Count)
        {
            var holds = Images.Count == 1 ? "1 image" : $"{Images.Count} images";
            throw new ImageApplyException(Path, $"Image index {index} does not exist in {Path}, which holds {holds} (indexes start at 1).")
            {
                ImageIndex = index,
            };
        }
    }

    private int TargetFlags(int index, string fullTarget)
    {
        var kind = FileKindProbe.Of(fullTarget);
        switch (kind)
        {
            case FileKind.Missing:
                Directory.CreateDirectory(fullTarget);
                return OperatingSystem.IsWindows() ? 0 : WimNative.ExtractFlagUnixData;
            case FileKind.Directory:
                return OperatingSystem.IsWindows() ? 0 : WimNative.ExtractFlagUnixData;
            case FileKind.BlockDevice:
            case FileKind.RegularFile:
                if (NtfsVolume.HasNtfsBootSector(fullTarget))
                {
                    return WimNative.ExtractFlagNtfs;
                }

                throw new ImageApplyException(
                    Path,
                    $"Cannot apply image {index} of {Path} to {fullTarget}: a WIM image is applied to a directory or to a volume formatted with NTFS, and this {FileKindProbe.Describe(kind)} holds no NTFS file system (format it first, e.g. mkntfs --fast).")
                {
                    ImageIndex = index,
                };
            default:
                throw new ImageApplyException(
                    Path,
                    $"Cannot apply image {index} of {Path} to {fullTarget}: it is a {FileKindProbe.Describe(kind)}, not a directory or an NTFS volume.")
                {
                    ImageIndex = index,
                };
        }
    }

    private static WimImageInfo ReadImageInfo(nint wim, int index)
    {
        var name = WimString.Read(WimNative.GetImageName(wim, index)) ?? string.Empty;
        var description = WimString.Read(WimNative.GetImageDescription(wim, index));
        return new WimImageInfo(
            index,
            name,
            string.IsNullOrEmpty(description) ? null : description,
            ReadNumber(wim, index, "TOTALBYTES"),
            ReadNumber(wim, index, "FILECOUNT"),
            ReadNumber(wim, index, "DIRCOUNT"));
    }

    private static long? ReadNumber(nint wim, int index, string property)
    {
        var nativeName = WimString.Allocate(property);
        try
        {
            var text = WimString.Read(WimNative.GetImageProperty(wim, index, nativeName));
            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        catch (EntryPointNotFoundException)
        {
            // wimlib_get_image_property arrived in 1.8.3; an older libwim.so.15 simply does not say.
            return null;
        }
        finally
        {
            WimString.Release(nativeName);
        }
    }

    private static ImageApplyException Failure(string path, int? index, int code, string what)
    {
        var text = WimLibrary.ErrorText(code);
        var advice = code switch
        {
            WimNative.ErrNotAWimFile or WimNative.ErrInvalidHeader or WimNative.ErrUnknownVersion =>
                " The file is not a WIM this version of wimlib can read.",
            WimNative.ErrDecompression or WimNative.ErrInvalidResourceHash or WimNative.ErrInvalidMetadataResource or
            WimNative.ErrInvalidLookupTableEntry or WimNative.ErrResourceNotFound or WimNative.ErrUnexpectedEndOfFile or WimNative.ErrXml =>
                " The WIM file is damaged or incomplete; download or import it again.",
            WimNative.ErrWimIsEncrypted => " Encrypted WIMs (ESD with encryption) cannot be applied.",
            WimNative.ErrNtfs3g => " NTFS-3G could not open or write the volume: check it is not mounted and not damaged (ntfsfix).",
            WimNative.ErrUnsupported => " This build of wimlib lacks what the apply needs (for an NTFS volume: wimlib built with NTFS-3G, as Debian's libwim15 is).",
            WimNative.ErrWrite => " Check the target has enough free space.",
            _ => string.Empty,
        };
        return new ImageApplyException(path, $"{what}: {WimLibrary.Describe(code)}.{advice}")
        {
            ImageIndex = index,
            WimErrorCode = code,
            WimErrorText = text,
        };
    }
}
