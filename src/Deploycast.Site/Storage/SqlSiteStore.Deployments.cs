using System.Data.Common;
using System.Text.Json;
using Deploycast.Site.Model;

namespace Deploycast.Site.Storage;

internal abstract partial class SqlSiteStore
{
    private const string TaskSequenceColumns = "id, name, description, steps, created, modified";

    private const string DeploymentColumns =
        "id, task_sequence_id, collection_id, purpose, available, deadline, content_option, allow_unicast_fallback, created";

    public Task AddTaskSequenceAsync(TaskSequence taskSequence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(taskSequence);
        ArgumentNullException.ThrowIfNull(taskSequence.Steps);
        return WriteAsync(
            () => ExecuteAsync(
                $"INSERT INTO task_sequences (id_key, {TaskSequenceColumns}) VALUES (@key, @id, @name, @description, @steps, @created, @modified)",
                c => BindTaskSequence(c, taskSequence).With("@id", taskSequence.Id).With("@created", taskSequence.Created), cancellationToken),
            duplicate: () => Task.FromResult($"a task sequence with ID '{taskSequence.Id}' already exists"),
            missing: null);
    }

    public async Task<bool> UpdateTaskSequenceAsync(TaskSequence taskSequence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(taskSequence);
        ArgumentNullException.ThrowIfNull(taskSequence.Steps);
        return await ExecuteAsync(
            "UPDATE task_sequences SET name = @name, description = @description, steps = @steps, modified = @modified WHERE id_key = @key",
            c => BindTaskSequence(c, taskSequence), cancellationToken).ConfigureAwait(false) == 1;
    }

    public Task<TaskSequence?> GetTaskSequenceAsync(string id, CancellationToken cancellationToken) =>
        QuerySingleAsync($"SELECT {TaskSequenceColumns} FROM task_sequences WHERE id_key = @key", c => c.With("@key", SqlValues.Key(id)), ReadTaskSequence, cancellationToken);

    public Task<PagedResult<TaskSequence>> ListTaskSequencesAsync(Page page, CancellationToken cancellationToken) =>
        QueryPageAsync(TaskSequenceColumns, "FROM task_sequences", "id_key", _ => { }, ReadTaskSequence, page, cancellationToken);

    public Task AddDeploymentAsync(Deployment deployment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        return WriteAsync(
            () => ExecuteAsync(
                $"""
                INSERT INTO deployments (id_key, task_sequence_key, collection_key, {DeploymentColumns})
                VALUES (@key, @tsKey, @collectionKey, @id, @tsId, @collectionId, @purpose, @available, @deadline, @contentOption, @fallback, @created)
                """,
                c => c.With("@key", SqlValues.Key(deployment.Id)).With("@tsKey", SqlValues.Key(deployment.TaskSequenceId))
                    .With("@collectionKey", SqlValues.Key(deployment.CollectionId)).With("@id", deployment.Id)
                    .With("@tsId", deployment.TaskSequenceId).With("@collectionId", deployment.CollectionId)
                    .WithEnum("@purpose", deployment.Purpose).With("@available", deployment.Available).With("@deadline", deployment.Deadline)
                    .WithEnum("@contentOption", deployment.ContentOption).With("@fallback", deployment.AllowUnicastFallback)
                    .With("@created", deployment.Created),
                cancellationToken),
            duplicate: () => Task.FromResult($"a deployment with ID '{deployment.Id}' already exists"),
            missing: async () => await ExistsAsync("SELECT 1 FROM task_sequences WHERE id_key = @key", c => c.With("@key", SqlValues.Key(deployment.TaskSequenceId)), cancellationToken)
                .ConfigureAwait(false)
                ? $"there is no collection with ID '{deployment.CollectionId}'"
                : $"there is no task sequence with ID '{deployment.TaskSequenceId}'");
    }

    public Task<Deployment?> GetDeploymentAsync(string id, CancellationToken cancellationToken) =>
        QuerySingleAsync($"SELECT {DeploymentColumns} FROM deployments WHERE id_key = @key", c => c.With("@key", SqlValues.Key(id)), ReadDeployment, cancellationToken);

    public Task<PagedResult<Deployment>> ListDeploymentsAsync(Page page, CancellationToken cancellationToken) =>
        QueryPageAsync(DeploymentColumns, "FROM deployments", "id_key", _ => { }, ReadDeployment, page, cancellationToken);

    public async Task<IReadOnlyList<Deployment>> ListDeploymentsToCollectionsAsync(IReadOnlyCollection<string> collectionIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(collectionIds);
        var keys = collectionIds.Select(SqlValues.Key).Distinct(StringComparer.Ordinal).ToList();
        if (keys.Count == 0)
        {
            return [];
        }

        var names = SqlValues.ParameterNames("collection", keys.Count);
        return await QueryAsync(
            $"SELECT {DeploymentColumns} FROM deployments WHERE collection_key IN ({string.Join(", ", names)}) ORDER BY id_key",
            c => c.WithList(names, keys), ReadDeployment, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> DeleteDeploymentAsync(string id, CancellationToken cancellationToken) =>
        // Device states go with it (ON DELETE CASCADE); status messages stay.
        await ExecuteAsync("DELETE FROM deployments WHERE id_key = @key", c => c.With("@key", SqlValues.Key(id)), cancellationToken).ConfigureAwait(false) == 1;

    private static DbCommand BindTaskSequence(DbCommand command, TaskSequence taskSequence) =>
        command.With("@key", SqlValues.Key(taskSequence.Id)).With("@name", taskSequence.Name).With("@description", taskSequence.Description)
            .With("@steps", JsonSerializer.Serialize(taskSequence.Steps, SiteStoreJson.Default.IReadOnlyListTaskSequenceStep))
            .With("@modified", taskSequence.Modified);

    private static TaskSequence ReadTaskSequence(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetNullableString(2),
        JsonSerializer.Deserialize(r.GetString(3), SiteStoreJson.Default.IReadOnlyListTaskSequenceStep) ?? [], r.GetTime(4), r.GetTime(5));

    private static Deployment ReadDeployment(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetEnum<DeploymentPurpose>(3), r.GetNullableTime(4), r.GetNullableTime(5),
        r.GetEnum<ContentOption>(6), r.GetBoolean(7), r.GetTime(8));
}
