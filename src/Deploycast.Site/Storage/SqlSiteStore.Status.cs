using System.Data.Common;
using System.Globalization;
using Deploycast.Site.Model;

namespace Deploycast.Site.Storage;

internal abstract partial class SqlSiteStore
{
    private const string StatusMessageColumns =
        "id, message_time, source, message_id, severity, component, message_text, device_id, deployment_id, distribution_point_id, step, step_name, progress";

    private const string DeploymentDeviceStateColumns = "deployment_id, device_id, state, step, step_name, progress, message, updated";

    public async Task<StatusMessage> AddStatusMessageAsync(StatusMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);

        // No foreign keys: the history outlives the devices, deployments and DPs it is about.
        var id = await ScalarAsync<long>(
            """
            INSERT INTO status_messages (message_time, source, message_id, severity, component, message_text, device_id,
                deployment_id, deployment_key, distribution_point_id, step, step_name, progress)
            VALUES (@time, @source, @messageId, @severity, @component, @text, @device, @deployment, @deploymentKey, @dp, @step, @stepName, @progress)
            RETURNING id
            """,
            c => c.With("@time", message.Time).WithEnum("@source", message.Source).With("@messageId", message.MessageId)
                .WithEnum("@severity", message.Severity).With("@component", message.Component).With("@text", message.Text)
                .With("@device", message.DeviceId).With("@deployment", message.DeploymentId)
                .With("@deploymentKey", message.DeploymentId is null ? null : SqlValues.Key(message.DeploymentId))
                .With("@dp", message.DistributionPointId).With("@step", message.Step).With("@stepName", message.StepName)
                .With("@progress", message.Progress),
            cancellationToken).ConfigureAwait(false);
        return message with { Id = id };
    }

    public Task<PagedResult<StatusMessage>> ListStatusMessagesAsync(StatusMessageFilter filter, Page page, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);

        // Only the conditions that are given, so no parameter is an untyped null.
        var conditions = new List<string>(4);
        if (filter.DeviceId is not null)
        {
            conditions.Add("device_id = @device");
        }

        if (filter.DeploymentId is not null)
        {
            conditions.Add("deployment_key = @deploymentKey");
        }

        if (filter.DistributionPointId is not null)
        {
            conditions.Add("distribution_point_id = @dp");
        }

        if (filter.Since is not null)
        {
            conditions.Add("message_time >= @since");
        }

        var fromWhere = conditions.Count == 0 ? "FROM status_messages" : "FROM status_messages WHERE " + string.Join(" AND ", conditions);
        return QueryPageAsync(
            StatusMessageColumns, fromWhere, "message_time DESC, id DESC",
            c =>
            {
                if (filter.DeviceId is not null)
                {
                    c.With("@device", filter.DeviceId);
                }

                if (filter.DeploymentId is not null)
                {
                    c.With("@deploymentKey", SqlValues.Key(filter.DeploymentId));
                }

                if (filter.DistributionPointId is not null)
                {
                    c.With("@dp", filter.DistributionPointId);
                }

                if (filter.Since is not null)
                {
                    c.With("@since", filter.Since);
                }
            },
            ReadStatusMessage, page, cancellationToken);
    }

    public Task SaveDeploymentDeviceStateAsync(DeploymentDeviceState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        return WriteAsync(
            () => ExecuteAsync(
                $"""
                INSERT INTO deployment_device_states (deployment_key, {DeploymentDeviceStateColumns})
                VALUES (@key, @deploymentId, @device, @state, @step, @stepName, @progress, @message, @updated)
                ON CONFLICT (deployment_key, device_id) DO UPDATE SET state = excluded.state, step = excluded.step,
                    step_name = excluded.step_name, progress = excluded.progress, message = excluded.message, updated = excluded.updated
                """,
                c => c.With("@key", SqlValues.Key(state.DeploymentId)).With("@deploymentId", state.DeploymentId).With("@device", state.DeviceId)
                    .WithEnum("@state", state.State).With("@step", state.Step).With("@stepName", state.StepName)
                    .With("@progress", state.Progress).With("@message", state.Message).With("@updated", state.Updated),
                cancellationToken),
            duplicate: null,
            missing: async () => await ExistsAsync("SELECT 1 FROM deployments WHERE id_key = @key", c => c.With("@key", SqlValues.Key(state.DeploymentId)), cancellationToken)
                .ConfigureAwait(false)
                ? $"there is no device {state.DeviceId.ToString(CultureInfo.InvariantCulture)}"
                : $"there is no deployment with ID '{state.DeploymentId}'");
    }

    public Task<DeploymentDeviceState?> GetDeploymentDeviceStateAsync(string deploymentId, long deviceId, CancellationToken cancellationToken) =>
        QuerySingleAsync(
            $"SELECT {DeploymentDeviceStateColumns} FROM deployment_device_states WHERE deployment_key = @key AND device_id = @device",
            c => c.With("@key", SqlValues.Key(deploymentId)).With("@device", deviceId), ReadDeploymentDeviceState, cancellationToken);

    public async Task<IReadOnlyList<DeploymentDeviceState>> ListDeploymentDeviceStatesAsync(string deploymentId, CancellationToken cancellationToken) =>
        await QueryAsync(
            $"SELECT {DeploymentDeviceStateColumns} FROM deployment_device_states WHERE deployment_key = @key ORDER BY device_id",
            c => c.With("@key", SqlValues.Key(deploymentId)), ReadDeploymentDeviceState, cancellationToken).ConfigureAwait(false);

    private static StatusMessage ReadStatusMessage(DbDataReader r) => new(
        r.GetInt64(0), r.GetTime(1), r.GetEnum<StatusSource>(2), r.GetInt32(3), r.GetEnum<StatusSeverity>(4), r.GetString(5), r.GetString(6),
        r.GetNullableInt64(7), r.GetNullableString(8), r.GetNullableString(9), r.GetNullableInt32(10), r.GetNullableString(11), r.GetNullableInt32(12));

    private static DeploymentDeviceState ReadDeploymentDeviceState(DbDataReader r) => new(
        r.GetString(0), r.GetInt64(1), r.GetEnum<DeploymentState>(2), r.GetNullableInt32(3), r.GetNullableString(4), r.GetNullableInt32(5),
        r.GetNullableString(6), r.GetTime(7));
}
