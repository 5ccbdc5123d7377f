namespace Deploycast.Agent.Engine;

/// <summary>
/// The read-only task sequence variables the engine sets. The engine sets them again before every step, and a Set Task
/// Sequence Variable step may not set a name that starts with <see cref="ReservedPrefix"/>.
/// </summary>
public static class BuiltInVariables
{
    /// <summary>Names that start with this belong to the agent.</summary>
    public const string ReservedPrefix = "_DC";

    /// <summary>The deployment's ID, for example <c>DC400001</c>.</summary>
    public const string DeploymentId = "_DCDeploymentID";

    /// <summary>The task sequence's ID, for example <c>DC300001</c>.</summary>
    public const string TaskSequenceId = "_DCTaskSequenceID";

    /// <summary>The name of the step that is running.</summary>
    public const string StepName = "_DCStepName";

    /// <summary>The agent's data directory.</summary>
    public const string DataDirectory = "_DCDataDirectory";

    /// <summary>The exit code of the last command a Run Command Line step ran; unset until one has run.</summary>
    public const string LastExitCode = "_DCLastExitCode";

    /// <summary>Whether <paramref name="name"/> is reserved for the agent (ordinal, ignoring case).</summary>
    public static bool IsReserved(string name) => name.StartsWith(ReservedPrefix, StringComparison.OrdinalIgnoreCase);
}
