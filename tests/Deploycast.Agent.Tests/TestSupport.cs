using System.Text;
using Deploycast.Agent.Engine;
using Deploycast.Agent.Logging;
using Deploycast.Agent.Steps;
using Deploycast.Site.Model;

namespace Deploycast.Agent.Tests;

/// <summary>Builds deployments and steps for tests.</summary>
internal static class Ts
{
    public const string DeploymentId = "DC400001";
    public const string TaskSequenceId = "DC300001";

    public static PolicyDeployment Deployment(params TaskSequenceStep[] steps) => Deployment(DeploymentId, steps);

    public static PolicyDeployment Deployment(string id, params TaskSequenceStep[] steps)
    {
        var now = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var sequence = new TaskSequence(TaskSequenceId, "Deploy lab PCs", null, steps, now, now);
        return new PolicyDeployment(id, DeploymentPurpose.Required, now, now, true, ContentOption.DownloadAllBeforeStarting, true, sequence, []);
    }

    public static TaskSequenceStep Command(string name, string commandLine, bool continueOnError = false, StepCondition? condition = null,
        string? timeoutSeconds = null, string? successCodes = null, string? workingDirectory = null)
    {
        var parameters = new Dictionary<string, string> { ["commandLine"] = commandLine };
        if (timeoutSeconds is not null)
        {
            parameters["timeoutSeconds"] = timeoutSeconds;
        }

        if (successCodes is not null)
        {
            parameters["successCodes"] = successCodes;
        }

        if (workingDirectory is not null)
        {
            parameters["workingDirectory"] = workingDirectory;
        }

        return new TaskSequenceStep(name, StepType.RunCommandLine, parameters, continueOnError, condition);
    }

    public static TaskSequenceStep SetVariable(string name, string variable, string value, StepCondition? condition = null) =>
        new(name, StepType.SetVariable, new Dictionary<string, string> { ["name"] = variable, ["value"] = value }, Condition: condition);

    public static TaskSequenceStep Restart(string name, string? command) =>
        new(name, StepType.RestartComputer, command is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["command"] = command });

    /// <summary>A step for a test runner (<see cref="StepType.ApplyDataImage"/>, which no built-in runner here takes).</summary>
    public static TaskSequenceStep Custom(string name) =>
        new(name, StepType.ApplyDataImage, new Dictionary<string, string> { ["package"] = "DC100001", ["destination"] = "/dev/null" });
}

/// <summary>The site's side of status messages: keeps what the engine sends, in order.</summary>
internal sealed class RecordingStatusReporter : IStatusReporter
{
    private readonly List<AgentStatus> _messages = [];

    /// <summary>Called for each message as it arrives (for example to stop the agent at a given moment).</summary>
    public Action<AgentStatus>? OnReport { get; set; }

    public IReadOnlyList<AgentStatus> Messages
    {
        get
        {
            lock (_messages)
            {
                return [.. _messages];
            }
        }
    }

    public IReadOnlyList<int?> Ids => [.. Messages.Select(m => m.MessageId)];

    public Task ReportAsync(AgentStatus status, CancellationToken cancellationToken)
    {
        lock (_messages)
        {
            _messages.Add(status);
        }

        OnReport?.Invoke(status);
        return Task.CompletedTask;
    }

    public void Clear()
    {
        lock (_messages)
        {
            _messages.Clear();
        }
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private DateTimeOffset _now = new(2025, 6, 1, 8, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>Collects the log's console echo and signals when a line containing a given text appears.</summary>
internal sealed class WatchingWriter : TextWriter
{
    private readonly object _gate = new();
    private readonly List<(string Text, TaskCompletionSource<string> Seen)> _watches = [];

    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>Completes with the first line (from now on) that contains <paramref name="text"/>.</summary>
    public Task<string> WaitForLine(string text)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _watches.Add((text, seen));
        }

        return seen.Task;
    }

    public override void WriteLine(string? value)
    {
        if (value is null)
        {
            return;
        }

        lock (_gate)
        {
            foreach (var (text, seen) in _watches)
            {
                if (value.Contains(text, StringComparison.Ordinal))
                {
                    seen.TrySetResult(value);
                }
            }
        }
    }
}

/// <summary>A data directory, a log and the agent's options for one test; removed afterwards.</summary>
internal sealed class AgentSandbox : IDisposable
{
    public AgentSandbox()
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "dc-agent-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(DataDirectory);
        Log = new AgentLog(DataDirectory, Console);
        Options = new AgentOptions { Server = new Uri("https://site.invalid"), DataDirectory = DataDirectory, DeviceName = "LAB-PC-01" };
    }

    public string DataDirectory { get; }

    public AgentLog Log { get; }

    public AgentOptions Options { get; }

    public WatchingWriter Console { get; } = new();

    public RecordingStatusReporter Status { get; } = new();

    public TimeProvider Time { get; set; } = TimeProvider.System;

    public string WorkDirectory(string deploymentId = Ts.DeploymentId) => TaskSequenceEngine.GetDeploymentDirectory(DataDirectory, deploymentId);

    public string StateFile(string deploymentId = Ts.DeploymentId) => Path.Combine(WorkDirectory(deploymentId), "state.json");

    /// <summary>A file in the deployment's work directory (where commands run by default).</summary>
    public string WorkFile(string name) => Path.Combine(WorkDirectory(), name);

    public string ReadWorkFile(string name) => File.ReadAllText(WorkFile(name));

    public string LogText()
    {
        using var stream = new FileStream(Log.FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>A new engine, as after an agent start: the built-in step runners plus <paramref name="extra"/>.</summary>
    public TaskSequenceEngine Engine(IStepRunner[]? extra = null,
        Func<PolicyDeployment, string, IProgress<StepProgress>, CancellationToken, Task>? prepare = null)
    {
        IStepRunner[] runners = [new RunCommandLineStep(Time), new SetVariableStep(), new RestartComputerStep(Time), .. extra ?? []];
        return new TaskSequenceEngine(runners, Status, Log, Options, Time, prepare);
    }

    public StepContext Context(TaskSequenceStep step, int index = 0, IDictionary<string, string>? variables = null, AgentOptions? options = null)
    {
        var deployment = Ts.Deployment(step);
        Directory.CreateDirectory(WorkDirectory());
        return new StepContext
        {
            Deployment = deployment,
            Index = index,
            Step = step,
            Parameters = step.Parameters,
            Variables = variables ?? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase),
            WorkDirectory = WorkDirectory(),
            Options = options ?? Options,
            Log = Log,
            Progress = new Progress<StepProgress>(),
        };
    }

    public void Dispose()
    {
        Log.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A process a failed test left behind may still hold a file; the temporary folder is cleaned some other day.
        }
    }
}

/// <summary>Linux process checks for "was it killed".</summary>
internal static class Processes
{
    /// <summary>Whether <paramref name="pid"/> is a live process (a zombie waiting to be reaped counts as dead).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
