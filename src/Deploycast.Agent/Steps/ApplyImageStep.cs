using System.Globalization;
using Deploycast.Agent.Content;
using Deploycast.Agent.Engine;
using Deploycast.Client;
using Deploycast.Imaging;
using Deploycast.Imaging.Files;
using Deploycast.Imaging.Raw;
using Deploycast.Imaging.Wim;
using Deploycast.Site.Model;

namespace Deploycast.Agent.Steps;

/// <summary>
/// Runs "Apply Operating System Image" and "Apply Data Image": gets the content of the step's <c>package</c> through an
/// <see cref="IContentSource"/> (verified before it returns), then applies it as the package's image type says: a WIM's
/// image <c>imageIndex</c> (default 1) to <c>destination</c> (a directory, or an unmounted NTFS volume as a block
/// device or file); a raw image to a block device or file (all-zero pages stay sparse in a file); any other file placed
/// at <c>destination</c>. Progress: the download is 0-70% of the step, the apply 70-100%. When the deployment accesses
/// content directly, a raw image or a file is streamed from the distribution point into the destination instead
/// (<see cref="IContentSource.OpenStreamAsync"/>; progress 0-100% by bytes); a WIM is still downloaded first.
/// </summary>
/// <param name="content">Where content comes from (in the agent, a <see cref="ContentSource"/>).</param>
public sealed class ApplyImageStep(IContentSource content) : IStepRunner
{
    /// <summary>The share of the step's progress the download takes; the apply takes the rest.</summary>
    public const int DownloadPercent = 70;

    private const string Component = "ApplyImage";

    /// <inheritdoc />
    public bool CanRun(StepType type) => type is StepType.ApplyOperatingSystemImage or StepType.ApplyDataImage;

    /// <inheritdoc />
    public async Task<StepResult> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var deploymentId = context.Deployment.DeploymentId;

        if (!context.Parameters.TryGetValue("package", out var packageId) || string.IsNullOrWhiteSpace(packageId))
        {
            return Fail(context, "The step names no package (its 'package' parameter is empty).");
        }

        packageId = packageId.Trim();
        var package = context.Deployment.Content.FirstOrDefault(c => string.Equals(c.PackageId, packageId, StringComparison.OrdinalIgnoreCase));
        if (package is null)
        {
            return Fail(context, $"Package {packageId} is not in the policy of deployment {deploymentId}: the site lists no content for it "
                + "(the package may have been deleted or has no content yet). Check the package and let the agent fetch policy again.");
        }

        if (!context.Parameters.TryGetValue("destination", out var destination) || string.IsNullOrWhiteSpace(destination))
        {
            return Fail(context, "The step names no destination (its 'destination' parameter is empty).");
        }

        var index = 1;
        if (package.ImageType == ImageType.Wim && context.Parameters.TryGetValue("imageIndex", out var indexText) && !string.IsNullOrWhiteSpace(indexText)
            && (!int.TryParse(indexText, NumberStyles.None, CultureInfo.InvariantCulture, out index) || index < 1))
        {
            return Fail(context, $"The image index '{indexText}' is not a number of 1 or more.");
        }

        if (DestinationProblem(destination) is { } problem)
        {
            return Fail(context, problem);
        }

        var what = package.ImageType == ImageType.Wim
            ? string.Create(CultureInfo.InvariantCulture, $"image {index} of {package.PackageId} ('{package.Name}')")
            : $"{package.PackageId} ('{package.Name}')";

        if (context.Deployment.ContentOption == ContentOption.AccessDirectly)
        {
            if (package.ImageType != ImageType.Wim)
            {
                return await StreamAsync(context, package, what, destination, cancellationToken).ConfigureAwait(false);
            }

            Info(context, $"{what} is a WIM: it is downloaded into the work directory and verified before it is applied, not streamed, because wimlib needs random access to the image file.");
        }

        string path;
        try
        {
            var downloadProgress = new SyncProgress<StepProgress>(p =>
                context.Progress.Report(new StepProgress(Math.Clamp(p.Percent, 0, 100) * DownloadPercent / 100, p.Text)));
            path = await content.AcquireAsync(context.Deployment, package, context.WorkDirectory, downloadProgress, cancellationToken).ConfigureAwait(false);
        }
        catch (ContentUnavailableException e)
        {
            return Fail(context, e.Message);
        }

        Info(context, $"Applying {what} ({package.ImageType}) from {path} to {destination}.");
        context.Progress.Report(new StepProgress(DownloadPercent, $"Applying {what} to {destination}"));
        var applyProgress = new SyncProgress<ImageApplyProgress>(p => context.Progress.Report(new StepProgress(
            DownloadPercent + (int)(p.Fraction * (100 - DownloadPercent)),
            string.Create(CultureInfo.InvariantCulture, $"Applying {what} to {destination}: {(int)(p.Fraction * 100)}%"))));
        return await ApplyAsync(context, what, destination, "Applied",
            () => Apply(package.ImageType, path, index, destination, applyProgress, cancellationToken), null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// "Access content directly" for a raw image or a file: the content is read from a distribution point and written to
    /// the destination as it arrives, each block verified before it is written; nothing is staged in the work
    /// directory. Progress is one phase, 0-100% by bytes.
    /// </summary>
    private async Task<StepResult> StreamAsync(StepContext context, PolicyContent package, string what, string destination, CancellationToken cancellationToken)
    {
        Stream stream;
        try
        {
            stream = await content.OpenStreamAsync(context.Deployment, package, cancellationToken).ConfigureAwait(false);
        }
        catch (ContentUnavailableException e)
        {
            return Fail(context, e.Message);
        }

        await using (stream.ConfigureAwait(false))
        {
            var reporter = new DownloadProgressReporter(package.PackageId, context.Progress, TimeProvider.System);
            var progress = new SyncProgress<ImageApplyProgress>(p => reporter.Report(new DownloadProgress("streaming", p.CompletedBytes, p.TotalBytes, destination)));
            Info(context, $"Streaming {what} ({package.ImageType}, {package.Size:N0} bytes) to {destination}; each block is checked against the signed manifest before it is written.");
            reporter.Report(new DownloadProgress("streaming", 0, package.Size, destination));

            // A raw image is written in place (a device has no "beside"); a file is written beside the destination and
            // renamed over it only when complete, so a failure leaves the old file.
            var left = package.ImageType == ImageType.Raw
                ? $"{destination} is partly written, with verified blocks only, and is not a usable image until the step succeeds"
                : $"{destination} is unchanged";
            var result = await ApplyAsync(context, what, destination, "Streamed",
                () => ApplyStream(package.ImageType, stream, package.Size, destination, progress, cancellationToken),
                e => e is InvalidDataException or DistributionPointException or HttpRequestException
                    ? $"Streaming {what} to {destination} failed: {e.Message.TrimEnd('.')}. {left}; when the step runs again, it streams the content again from the start."
                    : null,
                cancellationToken).ConfigureAwait(false);
            if (result.Succeeded && stream is PackageContentStream fetched)
            {
                Info(context, string.Create(CultureInfo.InvariantCulture,
                    $"{package.PackageId} came from {fetched.Source}: {fetched.BytesFetched:N0} bytes fetched by HTTP, {package.Size - fetched.BytesFetched:N0} all-zero (not fetched), {fetched.Retries} range(s) fetched again; every block verified."));
            }

            return result;
        }
    }

    /// <summary>Runs <paramref name="apply"/> on its own thread and turns its failures into step failures.</summary>
    /// <param name="sourceFailure">The step's message for a failure of the content source, or null for other failures.</param>
    private static async Task<StepResult> ApplyAsync(StepContext context, string what, string destination, string done, Action apply,
        Func<Exception, string?>? sourceFailure, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            await Task.Factory.StartNew(apply, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }
        catch (Exception e) when (sourceFailure?.Invoke(e) is { } message)
        {
            return Fail(context, message);
        }
        catch (ImageApplyException e)
        {
            return Fail(context, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(context, $"Cannot apply {what} to {destination}: {e.Message}");
        }

        var seconds = TimeProvider.System.GetElapsedTime(started).TotalSeconds;
        var result = string.Create(CultureInfo.InvariantCulture, $"{done} {what} to {destination} in {seconds:0.0} s.");
        Info(context, result);
        context.Progress.Report(new StepProgress(100, result));
        return StepResult.Success(result);
    }

    /// <summary>Why <paramref name="destination"/> cannot be applied to, or null. Checked before any download, so a
    /// typing error does not cost a whole image transfer.</summary>
    internal static string? DestinationProblem(string destination)
    {
        if (!Path.IsPathFullyQualified(destination))
        {
            return $"The destination '{destination}' is not a full path; give an absolute path such as /mnt/target or /dev/sda.";
        }

        if (destination.StartsWith("/dev/", StringComparison.Ordinal) && !File.Exists(destination) && !Directory.Exists(destination))
        {
            return $"The destination {destination} does not exist: there is no such device on this computer.";
        }

        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(destination));
        if (!string.IsNullOrEmpty(parent) && !Directory.Exists(parent))
        {
            return $"The destination {destination} cannot be written: its directory {parent} does not exist.";
        }

        return null;
    }

    private static void Apply(ImageType type, string path, int index, string destination, IProgress<ImageApplyProgress> progress, CancellationToken cancellationToken)
    {
        switch (type)
        {
            case ImageType.Wim:
                using (var wim = WimImage.Open(path))
                {
                    wim.Apply(index, destination, progress, cancellationToken);
                }

                break;
            case ImageType.Raw:
                RawImage.Apply(path, destination, RawImageWriterOptions.Default, progress, cancellationToken);
                break;
            default:
                FilePlacement.Place(path, destination, progress, cancellationToken);
                break;
        }
    }

    private static void ApplyStream(ImageType type, Stream source, long length, string destination, IProgress<ImageApplyProgress> progress, CancellationToken cancellationToken)
    {
        if (type == ImageType.Raw)
        {
            RawImage.Apply(source, length, destination, RawImageWriterOptions.Default, progress, cancellationToken);
        }
        else
        {
            FilePlacement.Place(source, length, destination, progress, cancellationToken);
        }
    }

    private static void Info(StepContext context, string text) =>
        context.Log.Info(Component, text, context.Deployment.DeploymentId, context.Index, context.Step.Name);

    private static StepResult Fail(StepContext context, string message)
    {
        context.Log.Error(Component, message, context.Deployment.DeploymentId, context.Index, context.Step.Name);
        return StepResult.Failure(message);
    }
}
