using Deploycast.Agent.Engine;
using Deploycast.Site.Model;

namespace Deploycast.Agent.Steps;

/// <summary>
/// Runs a Set Task Sequence Variable step: sets the variable <c>name</c> to <c>value</c> (already expanded, so it may
/// use other variables; it may be empty). Names starting with <c>_DC</c> belong to the agent and cannot be set.
/// </summary>
public sealed class SetVariableStep : IStepRunner
{
    /// <inheritdoc/>
    public bool CanRun(StepType type) => type == StepType.SetVariable;

    /// <inheritdoc/>
    public Task<StepResult> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        if (!context.Parameters.TryGetValue("name", out var name) || !VariableExpander.IsVariableName(name))
        {
            return Task.FromResult(StepResult.Failure(
                $"'{name}' is not a variable name: use a letter or '_', then letters, digits or '_' (at most 128)."));
        }

        if (BuiltInVariables.IsReserved(name))
        {
            return Task.FromResult(StepResult.Failure($"{name} is read-only: names that start with {BuiltInVariables.ReservedPrefix} belong to the agent."));
        }

        var value = context.Parameters.GetValueOrDefault("value") ?? "";
        context.Variables[name] = value;
        return Task.FromResult(StepResult.Success($"{name} is set to '{value}'."));
    }
}
