using Deploycast.Site.Model;

namespace Deploycast.Site.Management;

public sealed partial class SiteManager
{
    /// <summary>Raised after a status message is stored (the console's live view listens).</summary>
    public event Action<StatusMessage>? StatusReported;

    /// <summary>
    /// Stores a status message from a device's agent. When it names a deployment, the device's state in that
    /// deployment follows: the message's state when it gives one, else the state it had (in progress at first).
    /// </summary>
    public async Task<StatusMessage> ReportAgentStatusAsync(Device device, AgentStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        var errors = new ValidationErrors();
        if (status is null)
        {
            throw SiteValidationException.One("body", "A JSON status message is required.");
        }

        if (status.MessageId is null or < 1 or > 99_999)
        {
            errors.Add("messageId", "messageId must be from 1 to 99999.");
        }

        if (status.Severity is { } severity && !Enum.IsDefined(severity))
        {
            errors.Add("severity", "severity must be Informational, Warning or Error.");
        }

        if (string.IsNullOrWhiteSpace(status.Component) || status.Component.Length > 64)
        {
            errors.Add("component", "component is required, at most 64 characters.");
        }

        if (string.IsNullOrWhiteSpace(status.Text) || status.Text.Length > 4000)
        {
            errors.Add("text", "text is required, at most 4000 characters.");
        }

        if (status.Progress is < 0 or > 100)
        {
            errors.Add("progress", "progress is a percentage from 0 to 100.");
        }

        if (status.Step is < 0)
        {
            errors.Add("step", "step is the step's index, from 0.");
        }

        if (status.State is { } state && !Enum.IsDefined(state))
        {
            errors.Add("state", "state must be InProgress, Success or Error.");
        }

        errors.ThrowIfAny();
        Deployment? deployment = null;
        if (status.DeploymentId is not null)
        {
            if (device.Approval != DeviceApproval.Approved)
            {
                throw new SiteForbiddenException($"Device {device.Id} is not approved; it cannot report on deployments.");
            }

            deployment = await _store.GetDeploymentAsync(status.DeploymentId, cancellationToken).ConfigureAwait(false)
                ?? throw SiteValidationException.One("deploymentId", $"There is no deployment '{status.DeploymentId}'.");
            var collection = await _store.GetCollectionAsync(deployment.CollectionId, cancellationToken).ConfigureAwait(false);
            var direct = (await _store.ListDirectCollectionsOfDeviceAsync(device.Id, cancellationToken).ConfigureAwait(false))
                .Contains(deployment.CollectionId, StringComparer.OrdinalIgnoreCase);
            if (collection is null || !IsMember(collection, device, direct))
            {
                throw new SiteForbiddenException($"Deployment {deployment.Id} is not deployed to device {device.Id}.");
            }
        }

        var now = Now;
        var message = await _store.AddStatusMessageAsync(
            new StatusMessage(0, status.Time ?? now, StatusSource.Agent, status.MessageId!.Value, status.Severity ?? StatusSeverity.Informational,
                status.Component!, status.Text!, device.Id, deployment?.Id, null, status.Step, status.StepName, status.Progress),
            cancellationToken).ConfigureAwait(false);
        if (deployment is not null)
        {
            var previous = await _store.GetDeploymentDeviceStateAsync(deployment.Id, device.Id, cancellationToken).ConfigureAwait(false);
            await _store.SaveDeploymentDeviceStateAsync(
                new DeploymentDeviceState(deployment.Id, device.Id, status.State ?? previous?.State ?? DeploymentState.InProgress,
                    status.Step ?? previous?.Step, status.StepName ?? previous?.StepName, status.Progress ?? previous?.Progress, status.Text, now),
                cancellationToken).ConfigureAwait(false);
        }

        await _store.TouchDeviceAsync(device.Id, now, null, cancellationToken).ConfigureAwait(false);
        StatusReported?.Invoke(message);
        return message;
    }

    /// <summary>Stores a status message from a DP or the site itself.</summary>
    public async Task<StatusMessage> RecordStatusAsync(StatusMessage message, CancellationToken cancellationToken)
    {
        var stored = await _store.AddStatusMessageAsync(message, cancellationToken).ConfigureAwait(false);
        StatusReported?.Invoke(stored);
        return stored;
    }

    public Task<PagedResult<StatusMessage>> ListStatusMessagesAsync(Storage.StatusMessageFilter filter, Page page, CancellationToken cancellationToken) =>
        _store.ListStatusMessagesAsync(filter, page, cancellationToken);
}
