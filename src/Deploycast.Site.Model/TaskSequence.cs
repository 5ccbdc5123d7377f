namespace Deploycast.Site.Model;

/// <summary>Ordered steps the agent runs on a computer.</summary>
/// <param name="Id">The task sequence ID, for example <c>DC300001</c>.</param>
/// <param name="Name">A display name.</param>
/// <param name="Description">Free text, or null.</param>
/// <param name="Steps">The steps, run in order.</param>
/// <param name="Created">When it was made.</param>
/// <param name="Modified">When it last changed.</param>
public sealed record TaskSequence(
    string Id,
    string Name,
    string? Description,
    IReadOnlyList<TaskSequenceStep> Steps,
    DateTimeOffset Created,
    DateTimeOffset Modified);

/// <summary>One step. Its parameters are typed by <see cref="Type"/>; see <c>StepCatalog</c>.</summary>
/// <param name="Name">What the log and status messages call it.</param>
/// <param name="Type">What it does.</param>
/// <param name="Parameters">Parameter values as text; variables (<c>%Name%</c>) are expanded by the agent.</param>
/// <param name="ContinueOnError">When true, a failure is logged and the next step runs.</param>
/// <param name="Condition">Run the step only when this holds, or null to always run it.</param>
public sealed record TaskSequenceStep(
    string Name,
    StepType Type,
    IReadOnlyDictionary<string, string> Parameters,
    bool ContinueOnError = false,
    StepCondition? Condition = null);

/// <summary>Step types, as the task sequence editor names them.</summary>
public enum StepType
{
    /// <summary>Apply Operating System Image: a WIM index, a raw image, or a file from a package.</summary>
    ApplyOperatingSystemImage,

    /// <summary>Apply Data Image: like the OS image step, for data.</summary>
    ApplyDataImage,

    /// <summary>Run Command Line.</summary>
    RunCommandLine,

    /// <summary>Set Task Sequence Variable.</summary>
    SetVariable,

    /// <summary>Restart Computer, then resume at the next step.</summary>
    RestartComputer,
}

/// <summary>A condition on a task sequence variable.</summary>
/// <param name="Variable">The variable's name.</param>
/// <param name="Operator">The test.</param>
/// <param name="Value">The value compared with (ordinal, without regard to case); unused by Exists / NotExists.</param>
public sealed record StepCondition(string Variable, ConditionOperator Operator, string? Value = null);

/// <summary>Condition tests.</summary>
public enum ConditionOperator
{
    /// <summary>The variable equals the value.</summary>
    Equals,

    /// <summary>The variable is unset or differs from the value.</summary>
    NotEquals,

    /// <summary>The variable is set.</summary>
    Exists,

    /// <summary>The variable is unset.</summary>
    NotExists,
}
