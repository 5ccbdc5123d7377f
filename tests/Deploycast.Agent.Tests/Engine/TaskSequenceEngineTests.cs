using System.Text.Json;
using Deploycast.Agent.Engine;
using Deploycast.Site.Model;

namespace Deploycast.Agent.Tests.Engine;

public sealed class TaskSequenceEngineTests : IDisposable
{
    private readonly AgentSandbox _agent = new();

    public void Dispose() => _agent.Dispose();

    [Fact]
    public async Task Run_ThreeCommands_RunInOrderAndSucceed()
    {
        var deployment = Ts.Deployment(
            Ts.Command("First", "echo one >> order.txt"),
            Ts.Command("Second", "echo two >> order.txt"),
            Ts.Command("Third", "echo three >> order.txt"));

        var result = await _agent.Engine().RunAsync(deployment);

        Assert.Equal(TaskSequenceOutcome.Succeeded, result.Outcome);
        Assert.False(result.AlreadyFinished);
        Assert.Equal("one\ntwo\nthree\n", _agent.ReadWorkFile("order.txt"));
    }

    [Fact]
    public async Task Run_SetVariable_IsExpandedInLaterSteps()
    {
        var deployment = Ts.Deployment(
            Ts.SetVariable("Greet", "Greeting", "Hello from %_DCDeploymentID%"),
            Ts.Command("Use it", "echo '%greeting% at 100%% and %NotSet%' > out.txt"));

        var result = await _agent.Engine().RunAsync(deployment);

        Assert.Equal(TaskSequenceOutcome.Succeeded, result.Outcome);
        Assert.Equal("Hello from DC400001 at 100% and %NotSet%\n", _agent.ReadWorkFile("out.txt"));
        Assert.Contains("WARN  [TSManager] [DC400001 step 1 'Use it'] The variable %NotSet% is not set", _agent.LogText());
    }

    [Fact]
    public async Task Run_BuiltInVariables_AreSetForEachStep()
    {
        var deployment = Ts.Deployment(
            Ts.Command("Exit three", "exit 3", successCodes: "0 3"),
            Ts.Command("Show built-ins", "echo '%_DCTaskSequenceID% %_DCStepName% %_DCLastExitCode% %_DCDataDirectory%' > out.txt"));

        await _agent.Engine().RunAsync(deployment);

        Assert.Equal($"DC300001 Show built-ins 3 {_agent.DataDirectory}\n", _agent.ReadWorkFile("out.txt"));
    }

    [Fact]
    public async Task Run_SetVariableOfABuiltIn_FailsTheStep()
    {
        var result = await _agent.Engine().RunAsync(Ts.Deployment(Ts.SetVariable("Overwrite", "_DCDeploymentID", "other")));

        Assert.Equal(TaskSequenceOutcome.Failed, result.Outcome);
        Assert.Contains("_DCDeploymentID is read-only", result.Message);
    }

    [Fact]
    public async Task Run_FalseCondition_SkipsTheStepAndReports11138()
    {
        var deployment = Ts.Deployment(
            Ts.SetVariable("Role", "Role", "Kiosk"),
            Ts.Command("Only for labs", "touch lab.txt", condition: new StepCondition("ROLE", ConditionOperator.Equals, "lab")),
            Ts.Command("Only for kiosks", "touch kiosk.txt", condition: new StepCondition("role", ConditionOperator.Equals, "KIOSK")));

        var result = await _agent.Engine().RunAsync(deployment);

        Assert.Equal(TaskSequenceOutcome.Succeeded, result.Outcome);
        Assert.False(File.Exists(_agent.WorkFile("lab.txt")));
        Assert.True(File.Exists(_agent.WorkFile("kiosk.txt")));
        var skipped = Assert.Single(_agent.Status.Messages, m => m.MessageId == 11138);
        Assert.Equal(1, skipped.Step);
        Assert.Equal("Only for labs", skipped.StepName);
        Assert.Contains("the condition ROLE Equals 'lab' is false (ROLE is 'Kiosk')", skipped.Text);
    }

    [Fact]
    public async Task Run_FailedStepWithContinueOnError_ReportsAWarningAndRunsTheNextStep()
    {
        var deployment = Ts.Deployment(
            Ts.Command("May fail", "echo disk busy >&2; exit 5", continueOnError: true),
            Ts.Command("After", "touch after.txt"));

        var result = await _agent.Engine().RunAsync(deployment);

        Assert.Equal(TaskSequenceOutcome.Succeeded, result.Outcome);
        Assert.True(File.Exists(_agent.WorkFile("after.txt")));
        var failed = Assert.Single(_agent.Status.Messages, m => m.MessageId == 11135);
        Assert.Equal(StatusSeverity.Warning, failed.Severity);
        Assert.Contains("exited with code 5", failed.Text);
        Assert.Contains("disk busy", failed.Text);
        Assert.Equal(11143, _agent.Status.Messages[^1].MessageId);
    }

    [Fact]
    public async Task Run_FailedStep_StopsTheTaskSequenceWithErrorMessages()
    {
        var deployment = Ts.Deployment(
            Ts.Command("Works", "true"),
            Ts.Command("Fails", "echo no such disk; exit 2"),
            Ts.Command("Never", "touch never.txt"));

        var result = await _agent.Engine().RunAsync(deployment);

        Assert.Equal(TaskSequenceOutcome.Failed, result.Outcome);
        Assert.Equal(1, result.FailedStep);
        Assert.Equal("Fails", result.FailedStepName);
        Assert.Contains("exited with code 2", result.Message);
        Assert.False(File.Exists(_agent.WorkFile("never.txt")));
        Assert.Equal([11140, 11130, 11134, 11130, 11135, 11141], _agent.Status.Ids);
        var stepFailed = _agent.Status.Messages[4];
        Assert.Equal(StatusSeverity.Error, stepFailed.Severity);
        Assert.Contains("no such disk", stepFailed.Text);
        var sequenceFailed = _agent.Status.Messages[5];
        Assert.Equal(DeploymentState.Error, sequenceFailed.State);
        Assert.Equal(StatusSeverity.Error, sequenceFailed.Severity);
        Assert.Equal(1, sequenceFailed.Step);
    }

    [Fact]
    public async Task Run_StepTypeWithoutRunner_FailsWithAClearMessage()
    {
        var result = await _agent.Engine().RunAsync(Ts.Deployment(Ts.Custom("Apply data")));

        Assert.Equal(TaskSequenceOutcome.Failed, result.Outcome);
        Assert.Contains("no runner for ApplyDataImage steps", result.Message);
    }

    [Fact]
    public async Task Run_StatusMessages_HaveTheRightIdsSeveritiesAndStatesInOrder()
    {
        var deployment = Ts.Deployment(
            Ts.SetVariable("Set", "Mode", "fast"),
            Ts.Command("Skipped", "true", condition: new StepCondition("Mode", ConditionOperator.NotEquals, "fast")),
            Ts.Command("Tolerated", "exit 1", continueOnError: true),
            Ts.Command("Last", "true"));

        await _agent.Engine().RunAsync(deployment);

        var messages = _agent.Status.Messages;
        Assert.Equal([11140, 11130, 11134, 11138, 11130, 11135, 11130, 11134, 11143], _agent.Status.Ids);
        Assert.Equal(
            [DeploymentState.InProgress, null, null, null, null, null, null, null, DeploymentState.Success],
            messages.Select(m => m.State));
        Assert.Equal([null, 0, 0, 1, 2, 2, 3, 3, null], messages.Select(m => m.Step));
        Assert.Equal(StatusSeverity.Warning, messages[5].Severity);
        Assert.All(messages, m =>
        {
            Assert.Equal("DC400001", m.DeploymentId);
            Assert.Equal("TSManager", m.Component);
            Assert.NotNull(m.Time);
        });
    }

    [Fact]
    public async Task Run_Progress_IsLimitedToOneMessageEveryTwoSecondsButAlwaysSends100()
    {
        var time = new ManualTimeProvider();
        _agent.Time = time;
        var runner = new ProgressStepRunner(time,
            (TimeSpan.Zero, 10), (TimeSpan.Zero, 20), (TimeSpan.FromSeconds(1), 30),
            (TimeSpan.FromSeconds(1.5), 40), (TimeSpan.FromMilliseconds(10), 100), (TimeSpan.Zero, 100));

        await _agent.Engine([runner]).RunAsync(Ts.Deployment(Ts.Custom("Apply data")));

        var progress = _agent.Status.Messages.Where(m => m.MessageId == 11131).ToList();
        Assert.Equal([10, 40, 100], progress.Select(m => m.Progress));
        Assert.All(progress, m => Assert.Equal(0, m.Step));
        Assert.Equal([11140, 11130, 11131, 11131, 11131, 11134, 11143], _agent.Status.Ids);
    }

    [Fact]
    public async Task Run_RestartStep_ReturnsRestartPendingAndANewEngineResumesAtTheNextStep()
    {
        var deployment = Ts.Deployment(
            Ts.Command("Before", "echo before >> order.txt"),
            Ts.Restart("Restart", "touch restarted.txt"),
            Ts.Command("After", "echo after >> order.txt"));

        var first = await _agent.Engine().RunAsync(deployment);

        Assert.Equal(TaskSequenceOutcome.RestartPending, first.Outcome);
        Assert.True(File.Exists(_agent.WorkFile("restarted.txt")));
        Assert.Equal("before\n", _agent.ReadWorkFile("order.txt"));
        Assert.Equal([11140, 11130, 11134, 11130, 11134], _agent.Status.Ids);

        _agent.Status.Clear();
        var second = await _agent.Engine().RunAsync(deployment);

        Assert.Equal(TaskSequenceOutcome.Succeeded, second.Outcome);
        Assert.Equal("before\nafter\n", _agent.ReadWorkFile("order.txt"));
        Assert.Equal([11140, 11130, 11134, 11143], _agent.Status.Ids);
        Assert.Contains("resumed at step 2 ('After')", _agent.Status.Messages[0].Text);
        Assert.Equal(2, _agent.Status.Messages[1].Step);
    }

    [Fact]
    public async Task Run_AgentStoppedWhileTheRestartCommandRuns_ResumesAtTheNextStep()
    {
        // The restart itself stops the agent, maybe before the restart command returns.
        using var stop = new CancellationTokenSource();
        _agent.Status.OnReport = m =>
        {
            if (m is { MessageId: 11130, Step: 0 })
            {
                stop.Cancel();
            }
        };
        var deployment = Ts.Deployment(Ts.Restart("Restart", "sleep 30"), Ts.Command("After", "touch after.txt"));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _agent.Engine().RunAsync(deployment, cancellationToken: stop.Token));
        _agent.Status.OnReport = null;
        _agent.Status.Clear();
        var result = await _agent.Engine().RunAsync(deployment);

        Assert.Equal(TaskSequenceOutcome.Succeeded, result.Outcome);
        Assert.True(File.Exists(_agent.WorkFile("after.txt")));
        Assert.Equal([11140, 11134, 11130, 11134, 11143], _agent.Status.Ids);
        Assert.Equal(0, _agent.Status.Messages[1].Step);
        Assert.Contains("restarted", _agent.Status.Messages[1].Text);
    }

    [Fact]
    public async Task Run_StoppedMidStep_ReportsNoFailureAndANewEngineRunsThatStepAgain()
    {
        var deployment = Ts.Deployment(
            Ts.Command("Before", "echo before >> order.txt"),
            Ts.Custom("Long step"),
            Ts.Command("After", "echo after >> order.txt"));
        var blocking = new BlockingStepRunner();
        using var stop = new CancellationTokenSource();

        var running = _agent.Engine([blocking]).RunAsync(deployment, cancellationToken: stop.Token);
        await blocking.Started;
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        Assert.DoesNotContain(_agent.Status.Messages, m => m.MessageId is 11135 or 11141 || m.Severity == StatusSeverity.Error);
        _agent.Status.Clear();
        var result = await _agent.Engine([new RecordingStepRunner()]).RunAsync(deployment);

        Assert.Equal(TaskSequenceOutcome.Succeeded, result.Outcome);
        Assert.Equal("before\nLong step\nafter\n", _agent.ReadWorkFile("order.txt"));
        Assert.Equal(1, _agent.Status.Messages[1].Step);
        Assert.Contains("started again", _agent.Status.Messages[1].Text);
        using var state = JsonDocument.Parse(File.ReadAllText(_agent.StateFile()));
        Assert.Equal(2, state.RootElement.GetProperty("steps")[1].GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task Run_TaskSequenceChangedOnTheSite_StartsOverFromStepZero()
    {
        var before = Ts.Deployment(Ts.Command("Before", "echo v1 >> order.txt"), Ts.Custom("Long step"));
        var blocking = new BlockingStepRunner();
        using var stop = new CancellationTokenSource();
        var running = _agent.Engine([blocking]).RunAsync(before, cancellationToken: stop.Token);
        await blocking.Started;
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        var changed = Ts.Deployment(Ts.Command("Before", "echo v2 >> order.txt"), Ts.Custom("Long step"));
        var result = await _agent.Engine([new RecordingStepRunner()]).RunAsync(changed);

        Assert.Equal(TaskSequenceOutcome.Succeeded, result.Outcome);
        Assert.Equal("v1\nv2\nLong step\n", _agent.ReadWorkFile("order.txt"));
        Assert.Contains("changed on the site since this deployment started", _agent.LogText());
    }

    [Fact]
    public async Task Run_SucceededDeployment_IsNotRunAgainUnlessAsked()
    {
        var deployment = Ts.Deployment(Ts.Command("Count", "echo run >> runs.txt"));
        await _agent.Engine().RunAsync(deployment);
        _agent.Status.Clear();

        var again = await _agent.Engine().RunAsync(deployment);

        Assert.True(again.AlreadyFinished);
        Assert.Equal(TaskSequenceOutcome.Succeeded, again.Outcome);
        Assert.Equal("run\n", _agent.ReadWorkFile("runs.txt"));
        Assert.Empty(_agent.Status.Messages);

        var rerun = await _agent.Engine().RunAsync(deployment, rerun: true);

        Assert.False(rerun.AlreadyFinished);
        Assert.Equal(TaskSequenceOutcome.Succeeded, rerun.Outcome);
        Assert.Equal("run\nrun\n", _agent.ReadWorkFile("runs.txt"));
    }

    [Fact]
    public async Task Run_FailedDeploymentAskedToRerun_StartsFromStepZero()
    {
        var deployment = Ts.Deployment(
            Ts.Command("Count", "echo run >> runs.txt"),
            Ts.Command("Needs a file", "test -f fixed.txt"));
        var first = await _agent.Engine().RunAsync(deployment);
        Assert.Equal(TaskSequenceOutcome.Failed, first.Outcome);

        var notRun = await _agent.Engine().RunAsync(deployment);
        Assert.True(notRun.AlreadyFinished);
        Assert.Equal(TaskSequenceOutcome.Failed, notRun.Outcome);
        Assert.Equal(1, notRun.FailedStep);

        File.WriteAllText(_agent.WorkFile("fixed.txt"), "");
        var rerun = await _agent.Engine().RunAsync(deployment, rerun: true);

        Assert.Equal(TaskSequenceOutcome.Succeeded, rerun.Outcome);
        Assert.Equal("run\nrun\n", _agent.ReadWorkFile("runs.txt"));
    }

    [Fact]
    public async Task Run_StateFile_IsValidJsonAfterEveryStep()
    {
        // Each step copies the state as it stands while it runs: the steps before it done, itself running.
        var deployment = Ts.Deployment(
            Ts.Command("Copy 0", "cp state.json state-0.json"),
            Ts.SetVariable("Set", "Colour", "blue"),
            Ts.Command("Copy 2", "cp state.json state-2.json"),
            Ts.Command("Copy 3", "cp state.json state-3.json"));

        await _agent.Engine().RunAsync(deployment);

        foreach (var i in new[] { 0, 2, 3 })
        {
            using var copy = JsonDocument.Parse(_agent.ReadWorkFile($"state-{i}.json"));
            var root = copy.RootElement;
            Assert.Equal("DC400001", root.GetProperty("deploymentId").GetString());
            Assert.Equal("DC300001", root.GetProperty("taskSequenceId").GetString());
            Assert.Equal("Running", root.GetProperty("status").GetString());
            Assert.Equal(i, root.GetProperty("nextStep").GetInt32());
            Assert.Equal("Running", root.GetProperty("steps")[i].GetProperty("outcome").GetString());
            for (var done = 0; done < i; done++)
            {
                Assert.Equal("Succeeded", root.GetProperty("steps")[done].GetProperty("outcome").GetString());
            }
        }

        using var final = JsonDocument.Parse(File.ReadAllText(_agent.StateFile()));
        Assert.Equal("Succeeded", final.RootElement.GetProperty("status").GetString());
        Assert.Equal(4, final.RootElement.GetProperty("nextStep").GetInt32());
        Assert.Equal("blue", final.RootElement.GetProperty("variables").GetProperty("Colour").GetString());
        Assert.False(File.Exists(_agent.StateFile() + ".tmp"));
    }

    [Fact]
    public async Task Run_CorruptStateFile_StartsOverAndKeepsTheBadFile()
    {
        Directory.CreateDirectory(_agent.WorkDirectory());
        File.WriteAllText(_agent.StateFile(), "{ not json");

        var result = await _agent.Engine().RunAsync(Ts.Deployment(Ts.Command("Only", "echo ran > ran.txt")));

        Assert.Equal(TaskSequenceOutcome.Succeeded, result.Outcome);
        Assert.Equal("{ not json", File.ReadAllText(_agent.StateFile() + ".bad"));
        Assert.Contains("is not valid JSON", _agent.LogText());
    }

    [Fact]
    public async Task Run_PrepareHook_RunsBeforeStepZeroInTheWorkDirectoryAndReportsProgress()
    {
        string? seenWorkDirectory = null;
        var engine = _agent.Engine(prepare: (deployment, workDirectory, progress, _) =>
        {
            seenWorkDirectory = workDirectory;
            File.WriteAllText(Path.Combine(workDirectory, "content.img"), deployment.DeploymentId);
            progress.Report(new StepProgress(100, "Content downloaded"));
            return Task.CompletedTask;
        });

        var result = await engine.RunAsync(Ts.Deployment(Ts.Command("Use content", "test -f content.img")));

        Assert.Equal(TaskSequenceOutcome.Succeeded, result.Outcome);
        Assert.Equal(_agent.WorkDirectory(), seenWorkDirectory);
        Assert.Equal([11140, 11131, 11130, 11134, 11143], _agent.Status.Ids);
        Assert.Null(_agent.Status.Messages[1].Step);
        Assert.Equal(100, _agent.Status.Messages[1].Progress);
    }

    [Fact]
    public async Task Run_PrepareHookFails_FailsTheTaskSequenceBeforeStepZero()
    {
        var engine = _agent.Engine(prepare: (_, _, _, _) => throw new InvalidOperationException("Package DC100001 is multicast only and no DP offers multicast."));

        var result = await engine.RunAsync(Ts.Deployment(Ts.Command("Never", "touch never.txt")));

        Assert.Equal(TaskSequenceOutcome.Failed, result.Outcome);
        Assert.Null(result.FailedStep);
        Assert.Contains("multicast only", result.Message);
        Assert.False(File.Exists(_agent.WorkFile("never.txt")));
        Assert.Equal([11140, 11141], _agent.Status.Ids);
        Assert.Equal(DeploymentState.Error, _agent.Status.Messages[1].State);
    }

    [Fact]
    public async Task Run_PrepareHookFinished_IsNotCalledAgainWhenResuming()
    {
        var calls = 0;
        Func<PolicyDeployment, string, IProgress<StepProgress>, CancellationToken, Task> prepare = (_, _, _, _) =>
        {
            calls++;
            return Task.CompletedTask;
        };
        var deployment = Ts.Deployment(Ts.Restart("Restart", "true"), Ts.Command("After", "true"));

        await _agent.Engine(prepare: prepare).RunAsync(deployment);
        var result = await _agent.Engine(prepare: prepare).RunAsync(deployment);

        Assert.Equal(TaskSequenceOutcome.Succeeded, result.Outcome);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Run_LogLines_NameTheDeploymentAndTheStep()
    {
        await _agent.Engine().RunAsync(Ts.Deployment(Ts.Command("Say hello", "echo hello")));

        var log = _agent.LogText();
        Assert.Contains("INFO  [TSManager] [DC400001 step 0 'Say hello'] The step started (RunCommandLine).", log);
        Assert.Contains("INFO  [RunCommandLine] [DC400001 step 0 'Say hello'] hello", log);
        Assert.Contains("INFO  [TSManager] [DC400001] The task sequence 'Deploy lab PCs' (DC300001) completed successfully.", log);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("")]
    public async Task Run_DeploymentIdThatIsNotAFolderName_IsRefused(string id)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _agent.Engine().RunAsync(Ts.Deployment(id, Ts.Command("x", "true"))));
    }
}
