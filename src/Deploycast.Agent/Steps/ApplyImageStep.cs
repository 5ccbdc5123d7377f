using System.Globalization;
using Deploycast.Agent.Content;
using Deploycast.Agent.Engine;
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
/// at <c>destination</c>. Progress: the download is 0-70% of the step, the apply 70-100%.
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
        var log = context.Log;
        var deploymentId = context.Deployment.DeploymentId;
        void Info(string text) => log.Info(Component, text, deploymentId, context.Index, context.Step.Name);

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

        Info($"Applying {what} ({package.ImageType}) from {path} to {destination}.");
        context.Progress.Report(new StepProgress(DownloadPercent, $"Applying {what} to {destination}"));
        var applyProgress = new SyncProgress<ImageApplyProgress>(p => context.Progress.Report(new StepProgress(
            DownloadPercent + (int)(p.Fraction * (100 - DownloadPercent)),
            string.Create(CultureInfo.InvariantCulture, $"Applying {what} to {destination}: {(int)(p.Fraction * 100)}%"))));
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            await Task.Factory.StartNew(
                () => Apply(package.ImageType, path, index, destination, applyProgress, cancellationToken),
                cancellationToken,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default).ConfigureAwait(false);
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
        var message = string.Create(CultureInfo.InvariantCulture, $"Applied {what} to {destination} in {seconds:0.0} s.");
        Info(message);
        context.Progress.Report(new StepProgress(100, message));
        return StepResult.Success(message);
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

    private static StepResult Fail(StepContext context, string message)
    {
        context.Log.Error(Component, message, context.Deployment.DeploymentId, context.Index, context.Step.Name);
        return StepResult.Failure(message);
    }
}
