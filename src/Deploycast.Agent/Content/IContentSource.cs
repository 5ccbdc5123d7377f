using Deploycast.Site.Model;

namespace Deploycast.Agent.Content;

/// <summary>
/// Gets a package version's content onto this computer, verified, as the deployment's content option says: by
/// multicast first when the package allows it and a DP offers a session, else (where allowed) by HTTP.
/// </summary>
public interface IContentSource
{
    /// <summary>
    /// Downloads (or finds already downloaded and verified) the content and returns the local file's path. A download
    /// interrupted by a crash resumes. Throws <see cref="ContentUnavailableException"/> with a clear reason when the
    /// content cannot be had (for example a multicast-only package while no DP offers multicast).
    /// </summary>
    Task<string> AcquireAsync(PolicyDeployment deployment, PolicyContent content, string workDirectory,
        IProgress<Engine.StepProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// Opens the content for a deployment that accesses content directly from a distribution point: a forward-only
    /// stream of <see cref="PolicyContent.Size"/> bytes, each block checked against the site-signed manifest before it
    /// is handed out; nothing is written to disk. Reading fails with <see cref="InvalidDataException"/> (or
    /// <see cref="Client.DistributionPointException"/> for a refusal) naming the block and the distribution point when
    /// a range cannot be had verified after its retries. Throws <see cref="ContentUnavailableException"/> when no
    /// distribution point can stream it (for example a multicast-only package).
    /// </summary>
    Task<Stream> OpenStreamAsync(PolicyDeployment deployment, PolicyContent content, CancellationToken cancellationToken);
}

/// <summary>Content that cannot be had; the message says why and what to change.</summary>
public sealed class ContentUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
