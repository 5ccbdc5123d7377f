using System.ComponentModel;
using Deploycast.Agent.Engine;
using Deploycast.Site.Model;

namespace Deploycast.Agent.Steps;

/// <summary>
/// Runs a Restart Computer step: runs the <c>command</c> parameter, or <see cref="AgentOptions.RestartCommand"/> when it
/// names none, and asks the engine to stop and resume at the next step when the agent starts again. The engine saves
/// that before the command runs, because the restart may end the agent before the command returns. A command that
/// cannot start, exits with a code other than 0 or runs longer than <see cref="CommandTimeout"/> fails the step.
/// </summary>
public sealed class RestartComputerStep : IStepRunner
{
    /// <summary>The component name of the command's output in the log.</summary>
    public const string Component = "RestartComputer";

    /// <summary>How long the restart command may run (<c>systemctl reboot</c> returns at once). 5 minutes.</summary>
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);

    private readonly ShellCommand _shell;

    /// <summary>Makes the runner; <paramref name="time"/> runs the command's time limit.</summary>
    public RestartComputerStep(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _shell = new ShellCommand(time);
    }

    /// <inheritdoc/>
    public bool CanRun(StepType type) => type == StepType.RestartComputer;

    /// <inheritdoc/>
    public async Task<StepResult> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var command = context.Parameters.TryGetValue("command", out var c) && !string.IsNullOrWhiteSpace(c) ? c : context.Options.RestartCommand;
        context.Log.Info(Component, $"Restarting the computer: {command}", context.Deployment.DeploymentId, context.Index, context.Step.Name);
        ShellCommandResult result;
        try
        {
            result = await _shell.RunAsync(command, context.WorkDirectory, CommandTimeout, context.Log, Component,
                context.Deployment.DeploymentId, context.Index, context.Step.Name, cancellationToken).ConfigureAwait(false);
        }
        catch (Win32Exception e)
        {
            return StepResult.Failure($"The restart command '{command}' could not start: {e.Message}");
        }

        if (result.TimedOut)
        {
            return StepResult.Failure($"The restart command '{command}' did not finish within {CommandTimeout.TotalSeconds:0} s and was stopped.{result.OutputSuffix}");
        }

        if (result.ExitCode != 0)
        {
            return StepResult.Failure($"The restart command '{command}' exited with code {result.ExitCode}.{result.OutputSuffix}", result.ExitCode);
        }

        return new StepResult(true, $"The restart command '{command}' was accepted; the computer restarts.", 0, RestartRequested: true);
    }
}
