using System.Diagnostics;
using Deploycast.Imaging.Detection;
using Deploycast.Imaging.Files;
using Deploycast.Imaging.Raw;
using Deploycast.Imaging.Wim;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Deploycast.Imaging;

/// <summary>
/// Applies a downloaded, verified image file to its target by its kind (<see cref="ImageKindDetector"/>): a WIM
/// image to a directory or NTFS volume (<see cref="WimImage"/>), a raw image to a block device or file
/// (<see cref="RawImage"/>), any other file to a path (<see cref="FilePlacement"/>).
/// </summary>
/// <param name="logger">Receives one message at the start and one at the end of each apply; null for none.</param>
public sealed class ImageApplier(ILogger<ImageApplier>? logger = null)
{
    private readonly ILogger _logger = logger ?? (ILogger)NullLogger.Instance;

    /// <summary>
    /// Applies <paramref name="imagePath"/> to <paramref name="target"/> and returns the kind it was applied as.
    /// Runs on a thread of its own (a WIM apply is one long blocking call into wimlib) and completes when the target
    /// is written and flushed. Throws <see cref="ImageApplyException"/> on failure and
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> is canceled.
    /// </summary>
    public Task<ImageKind> ApplyAsync(string imagePath, string target, ImageApplyOptions? options = null, IProgress<ImageApplyProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Factory.StartNew(
            () => Apply(imagePath, target, options, progress, cancellationToken),
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

    /// <summary>The blocking form of <see cref="ApplyAsync"/>.</summary>
    public ImageKind Apply(string imagePath, string target, ImageApplyOptions? options = null, IProgress<ImageApplyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagePath);
        ArgumentException.ThrowIfNullOrEmpty(target);
        options ??= ImageApplyOptions.Default;
        var kind = ImageKindDetector.Detect(imagePath, options.TreatAsRaw);
        ImagingLog.ApplyStarted(_logger, kind, imagePath, target);

        var lastBytes = 0L;
        var counting = new CountingProgress(progress, bytes => lastBytes = bytes);
        var stopwatch = Stopwatch.StartNew();
        try
        {
            switch (kind)
            {
                case ImageKind.Wim:
                    using (var wim = WimImage.Open(imagePath))
                    {
                        var image = wim.GetImage(options.WimImageIndex);
                        ImagingLog.WimImageChosen(_logger, image.Index, image.Name, wim.Path, image.TotalBytes, image.FileCount);
                        wim.Apply(options.WimImageIndex, target, counting, cancellationToken);
                    }

                    break;
                case ImageKind.Raw:
                    RawImage.Apply(imagePath, target, new RawImageWriterOptions { AssumeZeroedTarget = options.AssumeZeroedTarget }, counting, cancellationToken);
                    break;
                default:
                    FilePlacement.Place(imagePath, target, counting, cancellationToken);
                    break;
            }
        }
        catch (OperationCanceledException)
        {
            ImagingLog.ApplyCanceled(_logger, imagePath, target);
            throw;
        }
        catch (Exception exception)
        {
            ImagingLog.ApplyFailed(_logger, exception, imagePath, target);
            throw;
        }

        var seconds = stopwatch.Elapsed.TotalSeconds;
        ImagingLog.ApplyFinished(_logger, imagePath, target, lastBytes, seconds, seconds > 0 ? lastBytes / seconds / 1e6 : 0);
        return kind;
    }

    /// <summary>Passes reports on and remembers the last byte count for the log.</summary>
    private sealed class CountingProgress(IProgress<ImageApplyProgress>? inner, Action<long> onBytes) : IProgress<ImageApplyProgress>
    {
        public void Report(ImageApplyProgress value)
        {
            onBytes(value.CompletedBytes);
            inner?.Report(value);
        }
    }
}
