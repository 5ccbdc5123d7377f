using Deploycast.Imaging.Unix;
using Microsoft.Win32.SafeHandles;

namespace Deploycast.Imaging.Raw;

/// <summary>
/// Writes a raw disk or partition image to a block device or a regular file, in pieces that may arrive in any order:
/// <see cref="Write"/> puts bytes at an offset (from any thread, for ranges that do not overlap), and
/// <see cref="Complete"/> finishes the target. All-zero 4 KiB pages (aligned to the target's offsets) are not
/// written to a regular file, which is created empty so they stay holes; on a block device they are written unless
/// <see cref="RawImageWriterOptions.AssumeZeroedTarget"/>, and ranges never written are zeroed at
/// <see cref="Complete"/>. Progress counts bytes of the image accounted for, whether written or left sparse.
/// </summary>
public sealed class RawImageWriter : IDisposable
{
    /// <summary>Grain of zero detection: the page size of ext4, XFS and tmpfs, so a skipped page is a real hole.</summary>
    public const int PageSize = 4096;

    private const int ZeroChunk = 1 << 20;
    private const int SectorSize = 512;

    private readonly SafeFileHandle _handle;
    private readonly RawImageWriterOptions _options;
    private readonly IProgress<ImageApplyProgress>? _progress;
    private readonly WrittenRanges _written = new();
    private readonly Lock _gate = new();
    private long _accounted;
    private long _bytesWritten;
    private bool _completed;

    private RawImageWriter(string targetPath, long length, bool isBlockDevice, SafeFileHandle handle, RawImageWriterOptions options, IProgress<ImageApplyProgress>? progress)
    {
        TargetPath = targetPath;
        Length = length;
        TargetIsBlockDevice = isBlockDevice;
        _handle = handle;
        _options = options;
        _progress = progress;
    }

    /// <summary>Full path of the target.</summary>
    public string TargetPath { get; }

    /// <summary>Length of the image in bytes.</summary>
    public long Length { get; }

    /// <summary>True when the target is a block device (a disk or a partition), false for a regular file.</summary>
    public bool TargetIsBlockDevice { get; }

    /// <summary>Bytes actually written to the target so far; the rest of what was accounted for was left sparse.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>
    /// Opens <paramref name="targetPath"/> for an image of <paramref name="length"/> bytes. A regular file is created
    /// or truncated to empty; a block device must be at least <paramref name="length"/> bytes and not in use (not
    /// mounted). Throws <see cref="ImageApplyException"/> for any other target or when the device is too small or busy.
    /// </summary>
    /// <param name="targetPath">A block device (e.g. /dev/sda, /dev/nvme0n1p3) or a regular file path.</param>
    /// <param name="length">Image length in bytes.</param>
    /// <param name="options">Target handling; <see cref="RawImageWriterOptions.Default"/> when null.</param>
    /// <param name="progress">Receives progress after each write and while completing; null for none.</param>
    public static RawImageWriter Open(string targetPath, long length, RawImageWriterOptions? options = null, IProgress<ImageApplyProgress>? progress = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetPath);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        options ??= RawImageWriterOptions.Default;
        var fullPath = Path.GetFullPath(targetPath);
        var kind = FileKindProbe.Of(fullPath);
        switch (kind)
        {
            case FileKind.BlockDevice when OperatingSystem.IsLinux():
                var device = LinuxFile.OpenBlockDeviceExclusive(fullPath, out var errno);
                if (device is null)
                {
                    var why = errno == LinuxFile.EBUSY
                        ? "it is in use (mounted, or a partition of it is, or another program holds it open exclusively); unmount it first"
                        : $"it cannot be opened for writing (errno {errno})";
                    throw new ImageApplyException(fullPath, $"Cannot write a raw image to {fullPath}: {why}.");
                }

                var size = LinuxFile.DeviceSize(device);
                if (size < length)
                {
                    device.Dispose();
                    throw new ImageApplyException(fullPath, $"Cannot write a raw image of {length:N0} bytes to {fullPath}: the device holds only {size:N0} bytes.");
                }

                return new RawImageWriter(fullPath, length, isBlockDevice: true, device, options, progress);
            case FileKind.RegularFile:
            case FileKind.Missing:
                var file = File.OpenHandle(fullPath, FileMode.Create, FileAccess.Write, FileShare.None);
                return new RawImageWriter(fullPath, length, isBlockDevice: false, file, options, progress);
            default:
                throw new ImageApplyException(
                    fullPath,
                    $"Cannot write a raw image to {fullPath}: it is a {FileKindProbe.Describe(kind)}; the target must be a block device or a regular file.");
        }
    }

    /// <summary>
    /// Writes <paramref name="data"/> at <paramref name="offset"/> of the image. Safe to call from several threads at
    /// once for ranges that do not overlap. Writing a range again is allowed (the new bytes win).
    /// </summary>
    public void Write(long offset, ReadOnlySpan<byte> data, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (offset + data.Length > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(data), $"Bytes {offset}..{offset + data.Length} lie past the end of the {Length}-byte image.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfCompletedOrDisposed();

        try
        {
            if (TargetIsBlockDevice && !_options.AssumeZeroedTarget)
            {
                WriteAt(data, offset);
            }
            else
            {
                WriteSkippingZeroPages(data, offset);
            }
        }
        catch (IOException exception) when (IsDiskFull(exception))
        {
            throw new ImageApplyException(TargetPath, $"Cannot write the raw image to {TargetPath}: the disk is full.", exception) { DiskFull = true };
        }

        lock (_gate)
        {
            _accounted += _written.Add(offset, offset + data.Length);
            _progress?.Report(new ImageApplyProgress(_accounted, Length, ImageApplyPhase.Writing));
        }
    }

    /// <summary>
    /// Finishes the image: a regular file gets its full length (what was never written reads as zeros); on a block
    /// device, ranges never written are zeroed unless <see cref="RawImageWriterOptions.AssumeZeroedTarget"/>. Then the
    /// target is flushed to disk (<see cref="RawImageWriterOptions.FlushToDisk"/>) and progress reports
    /// <see cref="ImageApplyPhase.Done"/>.
    /// </summary>
    public void Complete(CancellationToken cancellationToken = default)
    {
        ThrowIfCompletedOrDisposed();
        List<(long Start, long End)> gaps;
        lock (_gate)
        {
            gaps = [.. _written.Gaps(Length)];
        }

        try
        {
            if (TargetIsBlockDevice && !_options.AssumeZeroedTarget)
            {
                foreach (var (start, end) in gaps)
                {
                    ZeroDeviceRange(start, end, cancellationToken);
                }
            }
            else if (!TargetIsBlockDevice)
            {
                RandomAccess.SetLength(_handle, Length);
            }

            lock (_gate)
            {
                _accounted = Length;
                _progress?.Report(new ImageApplyProgress(_accounted, Length, ImageApplyPhase.Finishing));
            }

            if (_options.FlushToDisk)
            {
                RandomAccess.FlushToDisk(_handle);
            }
        }
        catch (IOException exception) when (IsDiskFull(exception))
        {
            throw new ImageApplyException(TargetPath, $"Cannot write the raw image to {TargetPath}: the disk is full.", exception) { DiskFull = true };
        }

        lock (_gate)
        {
            _completed = true;
            _progress?.Report(new ImageApplyProgress(Length, Length, ImageApplyPhase.Done));
        }
    }

    /// <summary>Closes the target. An image not completed is left as far as it was written.</summary>
    public void Dispose() => _handle.Dispose();

    private void WriteSkippingZeroPages(ReadOnlySpan<byte> data, long offset)
    {
        var runStart = 0;
        var runIsZero = false;
        var position = 0;
        while (position < data.Length)
        {
            // Pages are aligned to the target's offsets, not to the start of this piece.
            var pageEnd = (int)Math.Min(data.Length, position + (PageSize - ((offset + position) % PageSize)));
            var pageIsZero = !data[position..pageEnd].ContainsAnyExcept((byte)0);
            if (position > runStart && pageIsZero != runIsZero)
            {
                FlushRun(data[runStart..position], offset + runStart, runIsZero);
                runStart = position;
            }

            runIsZero = pageIsZero;
            position = pageEnd;
        }

        if (position > runStart)
        {
            FlushRun(data[runStart..position], offset + runStart, runIsZero);
        }
    }

    private void FlushRun(ReadOnlySpan<byte> run, long offset, bool isZero)
    {
        if (!isZero)
        {
            WriteAt(run, offset);
            return;
        }

        // A zero run over bytes written before (a block sent again) must clear them; elsewhere it is already zero.
        bool overlaps;
        lock (_gate)
        {
            overlaps = _written.Overlaps(offset, offset + run.Length);
        }

        if (overlaps && (TargetIsBlockDevice || !LinuxFile.TryPunchHole(_handle, offset, run.Length)))
        {
            WriteAt(run, offset);
        }
    }

    private void ZeroDeviceRange(long start, long end, CancellationToken cancellationToken)
    {
        // BLKZEROOUT takes whole sectors; the unaligned edges (a manifest block is not a multiple of 512) are written.
        var alignedStart = Math.Min(end, (start + SectorSize - 1) / SectorSize * SectorSize);
        var alignedEnd = Math.Max(alignedStart, end / SectorSize * SectorSize);
        WriteZeros(start, alignedStart, cancellationToken);
        ReportZeroed(alignedStart - start);
        for (var position = alignedStart; position < alignedEnd; position += ZeroChunk * 64L)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunkEnd = Math.Min(alignedEnd, position + (ZeroChunk * 64L));
            if (!OperatingSystem.IsLinux() || !LinuxFile.TryZeroOut(_handle, position, chunkEnd - position))
            {
                WriteZeros(position, chunkEnd, cancellationToken);
            }

            ReportZeroed(chunkEnd - position);
        }

        WriteZeros(alignedEnd, end, cancellationToken);
        ReportZeroed(end - alignedEnd);
    }

    private void WriteZeros(long start, long end, CancellationToken cancellationToken)
    {
        if (end <= start)
        {
            return;
        }

        var zeros = new byte[(int)Math.Min(ZeroChunk, end - start)];
        for (var position = start; position < end; position += zeros.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = (int)Math.Min(zeros.Length, end - position);
            WriteAt(zeros.AsSpan(0, count), position);
        }
    }

    private void ReportZeroed(long count)
    {
        lock (_gate)
        {
            _accounted = Math.Min(Length, _accounted + count);
            _progress?.Report(new ImageApplyProgress(_accounted, Length, ImageApplyPhase.Writing));
        }
    }

    private void WriteAt(ReadOnlySpan<byte> data, long offset)
    {
        RandomAccess.Write(_handle, data, offset);
        Interlocked.Add(ref _bytesWritten, data.Length);
    }

    private void ThrowIfCompletedOrDisposed()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (_completed)
        {
            throw new InvalidOperationException($"The raw image on {TargetPath} is already complete.");
        }
    }

    private static bool IsDiskFull(IOException exception) => OperatingSystem.IsWindows()
        ? exception.HResult is unchecked((int)0x80070070) or unchecked((int)0x80070027) // ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL
        : exception.HResult is LinuxFile.ENOSPC or LinuxFile.EDQUOT; // .NET reports the errno as the HResult on Unix
}
