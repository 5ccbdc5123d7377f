using System.Globalization;
using Deploycast.Agent.Logging;
using Deploycast.Site.Model;

namespace Deploycast.Agent.Engine;

/// <summary>
/// Runs one deployment's task sequence on this computer, step by step, the way Configuration Manager's TSManager does:
/// it expands variables, checks conditions, honours continue on error, reports status messages to the site, writes the
/// log, and keeps its place in <c>&lt;DataDirectory&gt;/deployments/&lt;deploymentId&gt;/state.json</c> so that a crash,
/// a stop or a restart resumes at the right step.
/// </summary>
/// <remarks>
/// <para>Resume rules. A step that was running when the agent died or stopped runs again from its start, so every step
/// must be safe to run twice (a command that creates a file should not fail because the file exists). After a step that
/// asked for a restart, the next run resumes at the step after it. If the task sequence's steps changed on the site while
/// a run was unfinished, the run starts over from step 0. A finished deployment is not run again unless
/// <c>rerun</c> is true; then it starts from step 0 with no variables.</para>
/// <para>One engine may run several deployments, one after the other; a deployment must not run in two engines at once.</para>
/// </remarks>
public sealed class TaskSequenceEngine
{
    /// <summary>The component name in the log and in status messages.</summary>
    public const string Component = "TSManager";

    /// <summary>The folder under the data directory that holds one folder per deployment.</summary>
    public const string DeploymentsFolder = "deployments";

    private readonly IReadOnlyList<IStepRunner> _runners;
    private readonly IStatusReporter _status;
    private readonly AgentLog _log;
    private readonly AgentOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<PolicyDeployment, string, IProgress<StepProgress>, CancellationToken, Task>? _prepare;

    /// <summary>Makes an engine.</summary>
    /// <param name="runners">The step runners; for each step the first that <see cref="IStepRunner.CanRun"/> its type runs
    /// it. A step no runner takes fails.</param>
    /// <param name="status">Where status messages go (it queues what it cannot send yet).</param>
    /// <param name="log">The agent's log.</param>
    /// <param name="options">The agent's options; <see cref="AgentOptions.DataDirectory"/> holds the state.</param>
    /// <param name="time">The clock, for the times in the state and the progress rate limit.</param>
    /// <param name="prepare">Called once before step 0 with the deployment, its work directory and a progress sink, for
    /// example to download all content first. It runs again after a crash or stop that interrupted it, but not once it
    /// has finished. Throwing fails the task sequence with the exception's message. Null to do nothing.</param>
    public TaskSequenceEngine(
        IEnumerable<IStepRunner> runners,
        IStatusReporter status,
        AgentLog log,
        AgentOptions options,
        TimeProvider time,
        Func<PolicyDeployment, string, IProgress<StepProgress>, CancellationToken, Task>? prepare = null)
    {
        ArgumentNullException.ThrowIfNull(runners);
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _runners = [.. runners];
        _status = status;
        _log = log;
        _options = options;
        _time = time;
        _prepare = prepare;
    }

    /// <summary>The directory that holds a deployment's state and files: its work directory.</summary>
    public static string GetDeploymentDirectory(string dataDirectory, string deploymentId)
    {
        if (string.IsNullOrWhiteSpace(deploymentId) || deploymentId is "." or ".."
            || deploymentId.IndexOfAny(['/', '\\', ':']) >= 0 || deploymentId.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new ArgumentException($"'{deploymentId}' cannot be a deployment ID: it must be usable as a folder name.", nameof(deploymentId));
        }

        return Path.Combine(dataDirectory, DeploymentsFolder, deploymentId);
    }

    /// <summary>
    /// Runs the deployment's task sequence from where its state says, to the end, to a failure, or to a restart.
    /// </summary>
    /// <param name="deployment">The deployment from the device's policy.</param>
    /// <param name="rerun">Run a finished deployment (succeeded or failed) again from step 0. Default false: a finished
    /// deployment is not run and its earlier result comes back with <see cref="TaskSequenceResult.AlreadyFinished"/>.</param>
    /// <param name="cancellationToken">Stops the run (the agent is stopping): the running step is stopped, nothing is
    /// reported as failed, and the next run starts that step again. The call then throws
    /// <see cref="OperationCanceledException"/>.</param>
    public async Task<TaskSequenceResult> RunAsync(PolicyDeployment deployment, bool rerun = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        cancellationToken.ThrowIfCancellationRequested();
        var id = deployment.DeploymentId;
        var sequence = deployment.TaskSequence;
        var workDirectory = GetDeploymentDirectory(_options.DataDirectory, id);
        Directory.CreateDirectory(workDirectory);
        var store = new DeploymentStateStore(workDirectory);
        var hash = TaskSequenceHash.Compute(sequence.Steps);

        var state = store.Load(out var problem);
        if (problem is not null)
        {
            _log.Warning(Component, $"The saved state could not be used: {problem}. Starting over from step 0.", id);
        }

        var resumed = false;
        if (state is not null)
        {
            if (state.Status != RunStatus.Running)
            {
                if (!rerun)
                {
                    _log.Info(Component, $"Deployment {id} already {(state.Status == RunStatus.Succeeded ? "succeeded" : "failed")} on "
                        + $"{state.Updated.ToLocalTime():yyyy-MM-dd HH:mm:ss}; it is not run again unless asked to.", id);
                    return FinishedResult(state, sequence, alreadyFinished: true);
                }

                _log.Info(Component, $"Running deployment {id} again from step 0 as asked; last time it {state.Status.ToString().ToLowerInvariant()}.", id);
                state = null;
            }
            else if (!string.Equals(state.TaskSequenceId, sequence.Id, StringComparison.OrdinalIgnoreCase))
            {
                _log.Warning(Component, $"Deployment {id} now runs task sequence {sequence.Id} instead of {state.TaskSequenceId}; starting over from step 0.", id);
                state = null;
            }
            else if (state.StepsHash != hash || state.Steps.Count != sequence.Steps.Count)
            {
                _log.Warning(Component, $"Task sequence {sequence.Id} changed on the site since this deployment started (steps {state.StepsHash[..12]} "
                    + $"then, {hash[..12]} now); starting over from step 0 instead of resuming at step {state.NextStep}.", id);
                state = null;
            }
            else
            {
                resumed = true;
            }
        }

        state ??= NewState(deployment, hash);
        state.Updated = _time.GetUtcNow();
        store.Save(state);

        var run = new Run(this, deployment, state, store, workDirectory);
        return await run.ExecuteAsync(resumed, cancellationToken).ConfigureAwait(false);
    }

    private DeploymentRunState NewState(PolicyDeployment deployment, string hash)
    {
        var now = _time.GetUtcNow();
        return new DeploymentRunState
        {
            DeploymentId = deployment.DeploymentId,
            TaskSequenceId = deployment.TaskSequence.Id,
            StepsHash = hash,
            Steps = [.. deployment.TaskSequence.Steps.Select(s => new StepRecord { Name = s.Name })],
            Started = now,
            Updated = now,
        };
    }

    private static TaskSequenceResult FinishedResult(DeploymentRunState state, TaskSequence sequence, bool alreadyFinished)
    {
        var message = state.Message ?? $"The task sequence {state.Status.ToString().ToLowerInvariant()}.";
        if (state.Status == RunStatus.Succeeded)
        {
            return new TaskSequenceResult(TaskSequenceOutcome.Succeeded, message, AlreadyFinished: alreadyFinished);
        }

        var name = state.FailedStep is { } f && f < sequence.Steps.Count ? sequence.Steps[f].Name : null;
        return new TaskSequenceResult(TaskSequenceOutcome.Failed, message, state.FailedStep, name, alreadyFinished);
    }

    /// <summary>One call of <see cref="RunAsync"/>: the deployment, its state and the helpers that report on it.</summary>
    private sealed class Run(TaskSequenceEngine engine, PolicyDeployment deployment, DeploymentRunState state, DeploymentStateStore store, string workDirectory)
    {
        private readonly string _id = deployment.DeploymentId;
        private readonly IReadOnlyList<TaskSequenceStep> _steps = deployment.TaskSequence.Steps;

        public async Task<TaskSequenceResult> ExecuteAsync(bool resumed, CancellationToken cancellationToken)
        {
            var sequence = deployment.TaskSequence;
            int? restartedStep = null;
            if (resumed && state.RestartPending)
            {
                state.RestartPending = false;
                var r = state.NextStep - 1;
                if (r >= 0 && state.Steps[r].Outcome == StepOutcome.Running)
                {
                    // The restart took the agent down while the step ran: the state was saved before it, so it is done.
                    state.Steps[r].Outcome = StepOutcome.Succeeded;
                    state.Steps[r].Message = "The computer restarted.";
                    state.Steps[r].Ended = engine._time.GetUtcNow();
                    restartedStep = r;
                }

                Save();
                engine._log.Info(Component, $"Resuming after a restart at step {state.NextStep} of {_steps.Count}.", _id);
            }

            string startText;
            if (!resumed)
            {
                startText = $"The task sequence '{sequence.Name}' ({sequence.Id}) started: {_steps.Count} step(s).";
            }
            else if (state.NextStep < _steps.Count)
            {
                startText = $"The task sequence '{sequence.Name}' ({sequence.Id}) resumed at step {state.NextStep} ('{_steps[state.NextStep].Name}') of {_steps.Count}.";
            }
            else
            {
                startText = $"The task sequence '{sequence.Name}' ({sequence.Id}) resumed after its last step.";
            }

            engine._log.Info(Component, startText, _id);
            await ReportAsync(11140, StatusSeverity.Informational, startText, null, null, null, DeploymentState.InProgress, cancellationToken).ConfigureAwait(false);
            if (restartedStep is { } rs)
            {
                await ReportAsync(11134, StatusSeverity.Informational, "The step succeeded: the computer restarted.", rs, _steps[rs].Name, null, null, cancellationToken).ConfigureAwait(false);
            }

            if (engine._prepare is not null && !state.ContentPrepared)
            {
                var failure = await PrepareAsync(cancellationToken).ConfigureAwait(false);
                if (failure is not null)
                {
                    return failure;
                }
            }

            for (var i = state.NextStep; i < _steps.Count; i++)
            {
                var result = await RunStepAsync(i, cancellationToken).ConfigureAwait(false);
                if (result is not null)
                {
                    return result;
                }
            }

            state.Status = RunStatus.Succeeded;
            state.NextStep = _steps.Count;
            state.Message = $"The task sequence '{sequence.Name}' ({sequence.Id}) completed successfully.";
            Save();
            engine._log.Info(Component, state.Message, _id);
            await ReportAsync(11143, StatusSeverity.Informational, state.Message, null, null, null, DeploymentState.Success, CancellationToken.None).ConfigureAwait(false);
            return new TaskSequenceResult(TaskSequenceOutcome.Succeeded, state.Message);
        }

        private async Task<TaskSequenceResult?> PrepareAsync(CancellationToken cancellationToken)
        {
            engine._log.Info(Component, "Preparing the deployment's content before step 0.", _id);
            var progress = new ThrottledStepProgress(p => SendProgressAsync(null, null, p, cancellationToken), engine._time);
            try
            {
                await engine._prepare!(deployment, workDirectory, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await progress.FlushAsync().ConfigureAwait(false);
                engine._log.Warning(Component, "The agent stopped while preparing content; it prepares it again when it starts again.", _id);
                throw;
            }
            catch (Exception e)
            {
                await progress.FlushAsync().ConfigureAwait(false);
                return await FailAsync(null, $"Preparing the content failed: {e.Message}").ConfigureAwait(false);
            }

            await progress.FlushAsync().ConfigureAwait(false);
            state.ContentPrepared = true;
            Save();
            engine._log.Info(Component, "The content is ready.", _id);
            return null;
        }

        /// <summary>Runs step <paramref name="i"/>; returns null to go on to the next step, or how the run ended.</summary>
        private async Task<TaskSequenceResult?> RunStepAsync(int i, CancellationToken cancellationToken)
        {
            var step = _steps[i];
            var record = state.Steps[i];
            var variables = state.Variables;
            variables[BuiltInVariables.DeploymentId] = _id;
            variables[BuiltInVariables.TaskSequenceId] = deployment.TaskSequence.Id;
            variables[BuiltInVariables.StepName] = step.Name;
            variables[BuiltInVariables.DataDirectory] = engine._options.DataDirectory;

            if (!StepConditionEvaluator.Holds(step.Condition, variables, out var why))
            {
                record.Outcome = StepOutcome.Skipped;
                record.Message = $"The step was skipped: {why}.";
                record.Ended = engine._time.GetUtcNow();
                state.NextStep = i + 1;
                Save();
                Log(i, step).Info(record.Message);
                await ReportAsync(11138, StatusSeverity.Informational, record.Message, i, step.Name, null, null, cancellationToken).ConfigureAwait(false);
                return null;
            }

            var undefined = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
            var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, value) in step.Parameters)
            {
                parameters[name] = VariableExpander.Expand(value, variables, undefined);
            }

            foreach (var name in undefined)
            {
                Log(i, step).Warning($"The variable %{name}% is not set; it is left as written.");
            }

            // A restart may take the agent down before the step returns; the state must already say "resume at the
            // next step", or the computer would restart at this step for ever.
            var isRestart = step.Type == StepType.RestartComputer;
            record.Outcome = StepOutcome.Running;
            record.Attempts++;
            record.Started = engine._time.GetUtcNow();
            record.Ended = null;
            record.Message = null;
            record.ExitCode = null;
            state.NextStep = isRestart ? i + 1 : i;
            state.RestartPending = isRestart;
            Save();

            var startText = record.Attempts > 1
                ? $"The step started again ({step.Type}, attempt {record.Attempts}): it was running when the agent stopped."
                : $"The step started ({step.Type}).";
            Log(i, step).Info(startText);
            await ReportAsync(11130, StatusSeverity.Informational, startText, i, step.Name, null, null, cancellationToken).ConfigureAwait(false);

            var progress = new ThrottledStepProgress(p => SendProgressAsync(i, step.Name, p, cancellationToken), engine._time);
            var runner = engine._runners.FirstOrDefault(r => r.CanRun(step.Type));
            StepResult result;
            try
            {
                result = runner is null
                    ? StepResult.Failure($"This agent has no runner for {step.Type} steps.")
                    : await runner.RunAsync(Context(i, step, parameters, progress), cancellationToken).ConfigureAwait(false);
                if (!result.Succeeded)
                {
                    // A step that noticed the stop and returned a failure instead of throwing did not fail on its own.
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await progress.FlushAsync().ConfigureAwait(false);
                Log(i, step).Warning(isRestart
                    ? $"The agent stopped while the restart step ran (the restart itself, most likely); it resumes at step {i + 1}."
                    : $"The agent stopped during the step; the step runs again from its start when the agent starts again.");
                throw;
            }
            catch (Exception e)
            {
                result = StepResult.Failure(e.Message);
            }

            await progress.FlushAsync().ConfigureAwait(false);
            record.Ended = engine._time.GetUtcNow();
            record.Message = result.Message;
            record.ExitCode = result.ExitCode;
            if (result.Succeeded)
            {
                record.Outcome = StepOutcome.Succeeded;
                state.NextStep = i + 1;
                state.RestartPending = result.RestartRequested;
                Save();
                var text = $"The step succeeded: {result.Message}";
                Log(i, step).Info(text);
                await ReportAsync(11134, StatusSeverity.Informational, text, i, step.Name, null, null, cancellationToken).ConfigureAwait(false);
                if (result.RestartRequested)
                {
                    var message = i + 1 < _steps.Count
                        ? $"Step {i} ('{step.Name}') restarts the computer; the task sequence resumes at step {i + 1} ('{_steps[i + 1].Name}')."
                        : $"Step {i} ('{step.Name}') restarts the computer; it was the last step, so the task sequence completes when the agent starts again.";
                    engine._log.Info(Component, message, _id, i, step.Name);
                    return new TaskSequenceResult(TaskSequenceOutcome.RestartPending, message);
                }

                return null;
            }

            record.Outcome = StepOutcome.Failed;
            state.RestartPending = false;
            if (step.ContinueOnError)
            {
                state.NextStep = i + 1;
                Save();
                var text = $"The step failed and the task sequence continues (continue on error): {result.Message}";
                Log(i, step).Warning(text);
                await ReportAsync(11135, StatusSeverity.Warning, text, i, step.Name, null, null, cancellationToken).ConfigureAwait(false);
                return null;
            }

            return await FailAsync(i, result.Message).ConfigureAwait(false);
        }

        private async Task<TaskSequenceResult> FailAsync(int? i, string reason)
        {
            var step = i is { } s ? _steps[s] : null;
            state.Status = RunStatus.Failed;
            state.FailedStep = i;
            state.RestartPending = false;
            state.Message = step is null
                ? $"The task sequence '{deployment.TaskSequence.Name}' ({deployment.TaskSequence.Id}) failed: {reason}"
                : $"The task sequence '{deployment.TaskSequence.Name}' ({deployment.TaskSequence.Id}) failed at step {i} ('{step.Name}'): {reason}";
            Save();

            // Once the state says "failed" the messages must go even if the agent is stopping: nothing would send them later.
            if (i is { } index)
            {
                var text = $"The step failed: {reason}";
                Log(index, step!).Error(text);
                await ReportAsync(11135, StatusSeverity.Error, text, index, step!.Name, null, null, CancellationToken.None).ConfigureAwait(false);
            }

            engine._log.Error(Component, state.Message, _id, i, step?.Name);
            await ReportAsync(11141, StatusSeverity.Error, state.Message, i, step?.Name, null, DeploymentState.Error, CancellationToken.None).ConfigureAwait(false);
            return new TaskSequenceResult(TaskSequenceOutcome.Failed, state.Message, i, step?.Name);
        }

        private StepContext Context(int i, TaskSequenceStep step, IReadOnlyDictionary<string, string> parameters, IProgress<StepProgress> progress) => new()
        {
            Deployment = deployment,
            Index = i,
            Step = step,
            Parameters = parameters,
            Variables = state.Variables,
            WorkDirectory = workDirectory,
            Options = engine._options,
            Log = engine._log,
            Progress = progress,
        };

        private void Save()
        {
            state.Updated = engine._time.GetUtcNow();
            store.Save(state);
        }

        private StepLog Log(int i, TaskSequenceStep step) => new(engine._log, _id, i, step.Name);

        private async Task SendProgressAsync(int? i, string? stepName, StepProgress progress, CancellationToken cancellationToken)
        {
            try
            {
                var text = string.IsNullOrEmpty(progress.Text)
                    ? string.Create(CultureInfo.InvariantCulture, $"{progress.Percent}% done.")
                    : string.Create(CultureInfo.InvariantCulture, $"{progress.Percent}%: {progress.Text}");
                engine._log.Info(Component, text, _id, i, stepName);
                await ReportAsync(11131, StatusSeverity.Informational, text, i, stepName, progress.Percent, null, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The agent is stopping; a lost progress message is of no consequence.
            }
        }

        private async Task ReportAsync(int messageId, StatusSeverity severity, string text, int? step, string? stepName, int? progress,
            DeploymentState? deploymentState, CancellationToken cancellationToken)
        {
            var status = new AgentStatus(_id, messageId, severity, Component, text, step, stepName, progress, deploymentState, engine._time.GetUtcNow());
            try
            {
                await engine._status.ReportAsync(status, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                // The reporter is meant to queue; if it cannot even do that, the run must not fail for it.
                engine._log.Warning(Component, $"Status message {messageId} could not be queued for the site: {e.Message}", _id, step, stepName);
            }
        }
    }

    /// <summary>The log with a step's deployment, index and name filled in.</summary>
    private readonly record struct StepLog(AgentLog Log, string DeploymentId, int Index, string Name)
    {
        public void Info(string message) => Log.Info(Component, message, DeploymentId, Index, Name);

        public void Warning(string message) => Log.Warning(Component, message, DeploymentId, Index, Name);

        public void Error(string message) => Log.Error(Component, message, DeploymentId, Index, Name);
    }
}
