using System.Text.Json.Serialization;

namespace Deploycast.Agent.Engine;

/// <summary>
/// What the engine keeps about one deployment on this computer, in <c>deployments/&lt;id&gt;/state.json</c>: enough to
/// resume at the right step after a crash, a stop or a restart, and to tell a finished deployment from one in progress.
/// </summary>
internal sealed class DeploymentRunState
{
    /// <summary>The file format; a different number is read as "no usable state".</summary>
    public const int CurrentFormat = 1;

    public int Format { get; set; } = CurrentFormat;

    public required string DeploymentId { get; set; }

    public required string TaskSequenceId { get; set; }

    /// <summary>SHA-256 (hex) of the steps as they were when this run started; see <see cref="TaskSequenceHash"/>.</summary>
    public required string StepsHash { get; set; }

    public RunStatus Status { get; set; } = RunStatus.Running;

    /// <summary>The step to run next: while a step runs, its own index (so a crash runs it again).</summary>
    public int NextStep { get; set; }

    /// <summary>A step asked for a restart; the next start resumes at <see cref="NextStep"/>.</summary>
    public bool RestartPending { get; set; }

    /// <summary>The prepare hook (content download before step 0) has finished.</summary>
    public bool ContentPrepared { get; set; }

    public Dictionary<string, string> Variables { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public List<StepRecord> Steps { get; set; } = [];

    /// <summary>The failing step when <see cref="Status"/> is Failed, or null (also null when preparation failed).</summary>
    public int? FailedStep { get; set; }

    /// <summary>How the run ended, in a sentence.</summary>
    public string? Message { get; set; }

    public DateTimeOffset Started { get; set; }

    public DateTimeOffset Updated { get; set; }
}

/// <summary>Where a deployment's run stands.</summary>
internal enum RunStatus
{
    Running,
    Succeeded,
    Failed,
}

/// <summary>One step's outcome in the state file.</summary>
internal sealed class StepRecord
{
    public required string Name { get; set; }

    public StepOutcome Outcome { get; set; } = StepOutcome.Pending;

    public string? Message { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? ExitCode { get; set; }

    /// <summary>How many times the step started (more than once after a crash or a stop).</summary>
    public int Attempts { get; set; }

    public DateTimeOffset? Started { get; set; }

    public DateTimeOffset? Ended { get; set; }
}

/// <summary>A step's outcome.</summary>
internal enum StepOutcome
{
    Pending,
    Running,
    Succeeded,
    Failed,
    Skipped,
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    WriteIndented = true)]
[JsonSerializable(typeof(DeploymentRunState))]
internal sealed partial class DeploymentRunStateJsonContext : JsonSerializerContext;
