namespace Deploycast.Site.Model;

/// <summary>A status message an agent sends.</summary>
/// <param name="DeploymentId">The deployment it runs, or null for messages about the agent itself.</param>
/// <param name="MessageId">What happened (see docs/agent.md).</param>
/// <param name="Severity">Default Informational.</param>
/// <param name="Component">The agent's component, for example <c>TSManager</c>.</param>
/// <param name="Text">A sentence for people.</param>
/// <param name="Step">The step's index, or null.</param>
/// <param name="StepName">The step's name, or null.</param>
/// <param name="Progress">Percent of the step done, or null.</param>
/// <param name="State">The device's state in the deployment after this message, or null to keep it.</param>
/// <param name="Time">When it happened on the device; default the site's time of arrival.</param>
public sealed record AgentStatus(
    string? DeploymentId,
    int? MessageId,
    StatusSeverity? Severity,
    string? Component,
    string? Text,
    int? Step = null,
    string? StepName = null,
    int? Progress = null,
    DeploymentState? State = null,
    DateTimeOffset? Time = null);

/// <summary>A computer to import or register.</summary>
/// <param name="Name">The computer name.</param>
/// <param name="MacAddresses">Its MAC addresses, in any common notation.</param>
/// <param name="SmbiosUuid">Its SMBIOS UUID, or null.</param>
/// <param name="IPv4Address">For registration: the address it has, when the agent knows it better than the site sees it.</param>
public sealed record DeviceEntry(
    string? Name,
    IReadOnlyList<string>? MacAddresses,
    string? SmbiosUuid = null,
    [property: System.Text.Json.Serialization.JsonPropertyName("ipv4Address")] string? IPv4Address = null);

/// <summary>What a registering agent gets: its device id, approval and credential (keep it; it is shown once).</summary>
public sealed record RegistrationResponse(long DeviceId, string Name, DeviceApproval Approval, string Credential);
