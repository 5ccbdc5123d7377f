using System.ComponentModel;
using System.Globalization;
using Deploycast.Agent.Engine;
using Deploycast.Site.Model;

namespace Deploycast.Agent.Steps;

/// <summary>
/// Runs a Run Command Line step: the <c>commandLine</c> parameter through <c>/bin/sh -c</c> (<c>cmd.exe /c</c> on
/// Windows) in <c>workingDirectory</c> (default the deployment's work directory), killed with its whole process tree
/// after <c>timeoutSeconds</c> (default 3600). The step succeeds when the exit code is one of <c>successCodes</c>
/// (default <c>0</c>; numbers separated by spaces or commas). Output lines go to the log (component
/// <c>RunCommandLine</c>) as they come; the exit code goes into <c>_DCLastExitCode</c>.
/// </summary>
public sealed class RunCommandLineStep : IStepRunner
{
    /// <summary>The component name of the command's output in the log.</summary>
    public const string Component = "RunCommandLine";

    /// <summary>The timeout when the step names none.</summary>
    public const int DefaultTimeoutSeconds = 3600;

    private readonly ShellCommand _shell;

    /// <summary>Makes the runner; <paramref name="time"/> runs the timeout.</summary>
    public RunCommandLineStep(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _shell = new ShellCommand(time);
    }

    /// <inheritdoc/>
    public bool CanRun(StepType type) => type == StepType.RunCommandLine;

    /// <inheritdoc/>
    public async Task<StepResult> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        var parameters = context.Parameters;
        if (!parameters.TryGetValue("commandLine", out var commandLine) || string.IsNullOrWhiteSpace(commandLine))
        {
            return StepResult.Failure("The step has no command line ('commandLine').");
        }

        var workingDirectory = parameters.TryGetValue("workingDirectory", out var wd) && !string.IsNullOrWhiteSpace(wd) ? wd : context.WorkDirectory;
        if (!Directory.Exists(workingDirectory))
        {
            return StepResult.Failure($"The working directory '{workingDirectory}' does not exist.");
        }

        var timeoutSeconds = DefaultTimeoutSeconds;
        if (parameters.TryGetValue("timeoutSeconds", out var timeoutText)
            && !(int.TryParse(timeoutText, NumberStyles.None, CultureInfo.InvariantCulture, out timeoutSeconds) && timeoutSeconds >= 1))
        {
            return StepResult.Failure($"'timeoutSeconds' must be a whole number of seconds, 1 or more; it is '{timeoutText}'.");
        }

        IReadOnlyList<int> successCodes = [0];
        if (parameters.TryGetValue("successCodes", out var codesText))
        {
            if (ParseCodes(codesText) is not { } codes)
            {
                return StepResult.Failure($"'successCodes' must be whole numbers separated by spaces or commas; it is '{codesText}'.");
            }

            successCodes = codes;
        }

        context.Log.Info(Component, $"Running: {commandLine} (in {workingDirectory}, time limit {timeoutSeconds} s)",
            context.Deployment.DeploymentId, context.Index, context.Step.Name);
        ShellCommandResult result;
        try
        {
            result = await _shell.RunAsync(commandLine, workingDirectory, TimeSpan.FromSeconds(timeoutSeconds), context.Log, Component,
                context.Deployment.DeploymentId, context.Index, context.Step.Name, cancellationToken).ConfigureAwait(false);
        }
        catch (Win32Exception e)
        {
            return StepResult.Failure($"The command could not start: {e.Message}");
        }

        if (result.TimedOut)
        {
            return StepResult.Failure($"The command timed out after {timeoutSeconds} s and was stopped.{result.OutputSuffix}");
        }

        var exitCode = result.ExitCode!.Value;
        context.Variables[BuiltInVariables.LastExitCode] = exitCode.ToString(CultureInfo.InvariantCulture);
        if (successCodes.Contains(exitCode))
        {
            return new StepResult(true, $"The command exited with code {exitCode}.", exitCode);
        }

        return StepResult.Failure(
            $"The command exited with code {exitCode}, which is not a success code ({string.Join(", ", successCodes)}).{result.OutputSuffix}", exitCode);
    }

    private static List<int>? ParseCodes(string text)
    {
        var codes = new List<int>();
        foreach (var part in text.Split([' ', ',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code))
            {
                return null;
            }

            codes.Add(code);
        }

        return codes.Count == 0 ? null : codes;
    }
}
