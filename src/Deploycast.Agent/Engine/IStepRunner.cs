using Deploycast.Site.Model;

namespace Deploycast.Agent.Engine;

/// <summary>Runs the steps of one or more types. Runners are stateless; what must survive a restart goes in
/// <see cref="StepContext.Variables"/> or under <see cref="StepContext.WorkDirectory"/>.</summary>
public interface IStepRunner
{
    /// <summary>Whether this runner runs steps of <paramref name="type"/>.</summary>
    bool CanRun(StepType type);

    /// <summary>Runs one step. Throwing counts as a failure with the exception's message; cancellation stops the
    /// task sequence where it is (it resumes at this step).</summary>
    Task<StepResult> RunAsync(StepContext context, CancellationToken cancellationToken);
}

/// <summary>How a step ended.</summary>
/// <param name="Succeeded">Whether it succeeded.</param>
/// <param name="Message">A sentence for the log and the status message.</param>
/// <param name="ExitCode">A command's exit code, when there is one.</param>
/// <param name="RestartRequested">The step asked for the computer to restart; the engine saves its state first and
/// resumes at the next step when the agent starts again.</param>
public sealed record StepResult(bool Succeeded, string Message, int? ExitCode = null, bool RestartRequested = false)
{
    public static StepResult Success(string message) => new(true, message);

    public static StepResult Failure(string message, int? exitCode = null) => new(false, message, exitCode);
}

/// <summary>What a step runner gets.</summary>
public sealed class StepContext
{
    /// <summary>The deployment being run, with its task sequence and content.</summary>
    public required PolicyDeployment Deployment { get; init; }

    /// <summary>The step's index in the task sequence, from 0.</summary>
    public required int Index { get; init; }

    /// <summary>The step as the site defined it.</summary>
    public required TaskSequenceStep Step { get; init; }

    /// <summary>The step's parameters with task sequence variables (<c>%Name%</c>) expanded.</summary>
    public required IReadOnlyDictionary<string, string> Parameters { get; init; }

    /// <summary>The task sequence's variables; changes are saved with the engine's state.</summary>
    public required IDictionary<string, string> Variables { get; init; }

    /// <summary>A directory for this deployment's files (downloads, step output), kept across restarts.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>The agent's options.</summary>
    public required AgentOptions Options { get; init; }

    /// <summary>The smsts-style log.</summary>
    public required Logging.AgentLog Log { get; init; }

    /// <summary>Reports the step's progress (percent, and a sentence); the engine rate-limits what reaches the site.</summary>
    public required IProgress<StepProgress> Progress { get; init; }
}

/// <summary>Progress of a running step.</summary>
public readonly record struct StepProgress(int Percent, string Text);

/// <summary>Sends status messages to the site. Implementations keep messages they cannot send yet and send them later,
/// in order, so nothing is lost while the site is unreachable.</summary>
public interface IStatusReporter
{
    Task ReportAsync(AgentStatus status, CancellationToken cancellationToken);
}
