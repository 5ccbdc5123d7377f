using Deploycast.Agent.Engine;
using Deploycast.Site.Model;

namespace Deploycast.Agent.Tests.Engine;

/// <summary>A step (of type ApplyDataImage) that runs until the agent stops, like a long download cut short.</summary>
internal sealed class BlockingStepRunner : IStepRunner
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Started => _started.Task;

    public bool CanRun(StepType type) => type == StepType.ApplyDataImage;

    public async Task<StepResult> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        _started.TrySetResult();
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return StepResult.Success("unreachable");
    }
}

/// <summary>A step (of type ApplyDataImage) that appends its name to a file in the work directory and succeeds.</summary>
internal sealed class RecordingStepRunner : IStepRunner
{
    public bool CanRun(StepType type) => type == StepType.ApplyDataImage;

    public Task<StepResult> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        File.AppendAllText(Path.Combine(context.WorkDirectory, "order.txt"), context.Step.Name + "\n");
        return Task.FromResult(StepResult.Success("Recorded."));
    }
}

/// <summary>A step (of type ApplyDataImage) that reports progress through a script of (clock advance, percent).</summary>
internal sealed class ProgressStepRunner(ManualTimeProvider time, params (TimeSpan Advance, int Percent)[] script) : IStepRunner
{
    public bool CanRun(StepType type) => type == StepType.ApplyDataImage;

    public Task<StepResult> RunAsync(StepContext context, CancellationToken cancellationToken)
    {
        foreach (var (advance, percent) in script)
        {
            time.Advance(advance);
            context.Progress.Report(new StepProgress(percent, $"Applied {percent}%"));
        }

        return Task.FromResult(StepResult.Success("Applied."));
    }
}
