namespace Deploycast.Site.Model;

/// <summary>A task sequence deployed to a collection, with its deployment options.</summary>
/// <param name="Id">The deployment ID, for example <c>DC400001</c>.</param>
/// <param name="TaskSequenceId">What runs.</param>
/// <param name="CollectionId">On which devices.</param>
/// <param name="Purpose">Available (runs when asked) or required (runs by itself once the deadline passes).</param>
/// <param name="Available">When it becomes available; null for at once.</param>
/// <param name="Deadline">For a required deployment, when it runs; null for as soon as possible.</param>
/// <param name="ContentOption">How the agent gets content.</param>
/// <param name="AllowUnicastFallback">Whether the agent may download by HTTP when multicast is not available, fails or
/// disconnects it (never for "transfer only via multicast" packages).</param>
/// <param name="Created">When it was made.</param>
public sealed record Deployment(
    string Id,
    string TaskSequenceId,
    string CollectionId,
    DeploymentPurpose Purpose,
    DateTimeOffset? Available,
    DateTimeOffset? Deadline,
    ContentOption ContentOption,
    bool AllowUnicastFallback,
    DateTimeOffset Created);

/// <summary>Deployment purposes.</summary>
public enum DeploymentPurpose
{
    /// <summary>Offered; the agent runs it when asked to.</summary>
    Available,

    /// <summary>Runs by itself at the deadline.</summary>
    Required,
}

/// <summary>The deployment's content option (Distribution Points page of the Deploy Software wizard).</summary>
public enum ContentOption
{
    /// <summary>"Download content locally when needed by the running task sequence": the only option that multicast
    /// serves.</summary>
    DownloadLocallyWhenNeeded,

    /// <summary>"Download all content locally before starting task sequence".</summary>
    DownloadAllBeforeStarting,

    /// <summary>"Access content directly from a distribution point": the agent streams over HTTP.</summary>
    AccessDirectly,
}
