using Deploycast.Site.Model;

namespace Deploycast.Site.Management;

public sealed partial class SiteManager
{
    /// <summary>Creates a task sequence; its steps are checked against <see cref="StepCatalog"/> and the packages they name.</summary>
    public async Task<TaskSequence> CreateTaskSequenceAsync(TaskSequenceDefinition request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new ValidationErrors();
        var name = errors.Name("name", request.Name);
        var description = errors.Description("description", request.Description);
        StepCatalog.Validate(request.Steps, await PackagesOfStepsAsync(request.Steps, cancellationToken).ConfigureAwait(false), errors);
        errors.ThrowIfAny();
        var id = Identifiers.TaskSequence(await _store.NextNumberAsync(Identifiers.TaskSequenceCounter, cancellationToken).ConfigureAwait(false));
        var now = Now;
        var sequence = new TaskSequence(id, name!, description, Normalize(request.Steps!), now, now);
        await _store.AddTaskSequenceAsync(sequence, cancellationToken).ConfigureAwait(false);
        return sequence;
    }

    /// <summary>Replaces a task sequence's name, description or steps (null leaves them).</summary>
    public async Task<TaskSequence> UpdateTaskSequenceAsync(string id, TaskSequenceDefinition change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var sequence = await RequireTaskSequenceAsync(id, cancellationToken).ConfigureAwait(false);
        var errors = new ValidationErrors();
        var name = change.Name is null ? sequence.Name : errors.Name("name", change.Name);
        var description = change.Description is null ? sequence.Description : errors.Description("description", change.Description);
        if (change.Steps is not null)
        {
            StepCatalog.Validate(change.Steps, await PackagesOfStepsAsync(change.Steps, cancellationToken).ConfigureAwait(false), errors);
        }

        errors.ThrowIfAny();
        var updated = sequence with
        {
            Name = name ?? sequence.Name,
            Description = description,
            Steps = change.Steps is null ? sequence.Steps : Normalize(change.Steps),
            Modified = Now,
        };
        await _store.UpdateTaskSequenceAsync(updated, cancellationToken).ConfigureAwait(false);
        return updated;
    }

    public async Task<TaskSequence> GetTaskSequenceAsync(string id, CancellationToken cancellationToken) =>
        await RequireTaskSequenceAsync(id, cancellationToken).ConfigureAwait(false);

    public Task<Model.PagedResult<TaskSequence>> ListTaskSequencesAsync(Page page, CancellationToken cancellationToken) =>
        _store.ListTaskSequencesAsync(page, cancellationToken);

    /// <summary>The package ids a task sequence's apply steps name.</summary>
    public static IEnumerable<string> PackageIdsOf(IEnumerable<TaskSequenceStep> steps) =>
        steps.Where(s => s is not null && s.Parameters is not null && s.Type is StepType.ApplyOperatingSystemImage or StepType.ApplyDataImage)
            .Select(s => s.Parameters.TryGetValue("package", out var p) ? p : null)
            .OfType<string>()
            .Distinct(StringComparer.OrdinalIgnoreCase);

    private async Task<TaskSequence> RequireTaskSequenceAsync(string id, CancellationToken cancellationToken) =>
        await _store.GetTaskSequenceAsync(id, cancellationToken).ConfigureAwait(false)
        ?? throw new SiteNotFoundException($"There is no task sequence '{id}'.");

    private async Task<Dictionary<string, (Package Package, PackageVersion? Latest)>> PackagesOfStepsAsync(
        IReadOnlyList<TaskSequenceStep>? steps, CancellationToken cancellationToken)
    {
        var packages = new Dictionary<string, (Package, PackageVersion?)>(StringComparer.OrdinalIgnoreCase);
        foreach (var id in PackageIdsOf(steps ?? []))
        {
            if (Identifiers.IsWellFormedId(id) && await _store.GetPackageAsync(id, cancellationToken).ConfigureAwait(false) is { } package)
            {
                packages[id] = (package, await _store.GetPackageVersionAsync(package.Id, package.LatestVersion, cancellationToken).ConfigureAwait(false));
            }
        }

        return packages;
    }

    private static TaskSequenceStep[] Normalize(IReadOnlyList<TaskSequenceStep> steps) =>
        steps.Select(s => s with
        {
            Name = s.Name.Trim(),
            Parameters = new SortedDictionary<string, string>((s.Parameters ?? new Dictionary<string, string>()).ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal),
        }).ToArray();
}

/// <summary>A task sequence to create, or its changes (null fields stay as they are).</summary>
public sealed record TaskSequenceDefinition(string? Name, string? Description = null, IReadOnlyList<TaskSequenceStep>? Steps = null);
