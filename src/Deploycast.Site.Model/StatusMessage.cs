namespace Deploycast.Site.Model;

/// <summary>A status message from an agent, a distribution point or the site itself.</summary>
/// <param name="Id">The site's number for it (0 before it is stored).</param>
/// <param name="Time">When the reporter says it happened.</param>
/// <param name="Source">Who reported it.</param>
/// <param name="MessageId">A number that says what happened (see docs/administration.md).</param>
/// <param name="Severity">Informational, warning or error.</param>
/// <param name="Component">The reporting component, for example <c>TSManager</c> or <c>Download</c>.</param>
/// <param name="Text">A sentence for people.</param>
/// <param name="DeviceId">The device it is about, or null.</param>
/// <param name="DeploymentId">The deployment it is about, or null.</param>
/// <param name="DistributionPointId">The DP it is about, or null.</param>
/// <param name="Step">The step's index (from 0) in the task sequence, or null.</param>
/// <param name="StepName">The step's name, or null.</param>
/// <param name="Progress">Percent done of the step (0 to 100), or null.</param>
public sealed record StatusMessage(
    long Id,
    DateTimeOffset Time,
    StatusSource Source,
    int MessageId,
    StatusSeverity Severity,
    string Component,
    string Text,
    long? DeviceId = null,
    string? DeploymentId = null,
    string? DistributionPointId = null,
    int? Step = null,
    string? StepName = null,
    int? Progress = null);

/// <summary>Who reported a status message.</summary>
public enum StatusSource
{
    /// <summary>The agent on a device.</summary>
    Agent,

    /// <summary>A distribution point.</summary>
    DistributionPoint,

    /// <summary>The site server.</summary>
    Site,
}

/// <summary>Status message severities.</summary>
public enum StatusSeverity
{
    /// <summary>Informational.</summary>
    Informational,

    /// <summary>Warning.</summary>
    Warning,

    /// <summary>Error.</summary>
    Error,
}

/// <summary>Where one device stands with one deployment; the deployment summary counts these.</summary>
/// <param name="DeploymentId">The deployment.</param>
/// <param name="DeviceId">The device.</param>
/// <param name="State">Its state as ConfigMgr's deployment status shows it.</param>
/// <param name="Step">The step it is at or ended at, or null.</param>
/// <param name="StepName">That step's name, or null.</param>
/// <param name="Progress">Percent done of that step, or null.</param>
/// <param name="Message">The last status text.</param>
/// <param name="Updated">When it last changed.</param>
public sealed record DeploymentDeviceState(
    string DeploymentId,
    long DeviceId,
    DeploymentState State,
    int? Step,
    string? StepName,
    int? Progress,
    string? Message,
    DateTimeOffset Updated);

/// <summary>Deployment states per device.</summary>
public enum DeploymentState
{
    /// <summary>No status from the device yet.</summary>
    Unknown,

    /// <summary>Running.</summary>
    InProgress,

    /// <summary>Finished successfully.</summary>
    Success,

    /// <summary>Failed.</summary>
    Error,
}
