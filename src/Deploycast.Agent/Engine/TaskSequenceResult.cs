namespace Deploycast.Agent.Engine;

/// <summary>How a run of a deployment's task sequence ended.</summary>
/// <param name="Outcome">Succeeded, failed, or waiting for the computer to restart.</param>
/// <param name="Message">A sentence for the log and the console.</param>
/// <param name="FailedStep">The failing step's index (from 0) when <see cref="Outcome"/> is
/// <see cref="TaskSequenceOutcome.Failed"/> because of a step; null otherwise (also when preparing content failed).</param>
/// <param name="FailedStepName">That step's name, or null.</param>
/// <param name="AlreadyFinished">The deployment had finished before this call and was not run again (no
/// <c>rerun</c>); <see cref="Outcome"/> is how it finished then.</param>
public sealed record TaskSequenceResult(
    TaskSequenceOutcome Outcome,
    string Message,
    int? FailedStep = null,
    string? FailedStepName = null,
    bool AlreadyFinished = false);

/// <summary>How a run ended.</summary>
public enum TaskSequenceOutcome
{
    /// <summary>Every step succeeded, was skipped by its condition, or failed with continue on error.</summary>
    Succeeded,

    /// <summary>A step failed without continue on error, or the content could not be prepared.</summary>
    Failed,

    /// <summary>A step asked for a restart; the state is saved, and the next run resumes at the following step. The caller
    /// stops running deployments and lets the computer restart.</summary>
    RestartPending,
}
