using System.Globalization;
using Deploycast.Agent.Engine;
using Deploycast.Agent.Steps;

namespace Deploycast.Agent.Tests.Steps;

public sealed class RunCommandLineStepTests : IDisposable
{
    private readonly AgentSandbox _agent = new();
    private readonly RunCommandLineStep _runner = new(TimeProvider.System);

    public void Dispose() => _agent.Dispose();

    [Fact]
    public async Task Run_CommandLongerThanItsTimeout_FailsAndItsProcessTreeIsKilled()
    {
        var step = Ts.Command("Hangs", "sleep 300 & echo $! > child.pid; wait", timeoutSeconds: "1");

        var result = await _runner.RunAsync(_agent.Context(step), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains("timed out after 1 s", result.Message);
        var child = int.Parse(_agent.ReadWorkFile("child.pid").Trim(), CultureInfo.InvariantCulture);
        Assert.False(Processes.IsAlive(child), $"sleep (pid {child}) still runs after the timeout");
    }

    [Fact]
    public async Task Run_AgentStopping_KillsTheCommandAndThrows()
    {
        var step = Ts.Command("Hangs", "sleep 300 & echo \"pid-of-child: $!\"; wait");
        using var stop = new CancellationTokenSource();
        var childLine = _agent.Console.WaitForLine("'Hangs'] pid-of-child: ");

        var running = _runner.RunAsync(_agent.Context(step), stop.Token);
        var line = await childLine;
        stop.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        var child = int.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        Assert.False(Processes.IsAlive(child), $"sleep (pid {child}) still runs after the agent stopped");
    }

    [Theory]
    [InlineData("exit 0", null, true)]
    [InlineData("exit 3", null, false)]
    [InlineData("exit 42", "0 42", true)]
    [InlineData("exit 42", "0,43", false)]
    [InlineData("exit 0", "42", false)]
    public async Task Run_ExitCode_SucceedsOnlyForASuccessCode(string command, string? successCodes, bool succeeds)
    {
        var variables = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        var result = await _runner.RunAsync(_agent.Context(Ts.Command("Exit", command, successCodes: successCodes), variables: variables), CancellationToken.None);

        Assert.Equal(succeeds, result.Succeeded);
        var code = command[5..];
        Assert.Equal(int.Parse(code, CultureInfo.InvariantCulture), result.ExitCode);
        Assert.Equal(code, variables[BuiltInVariables.LastExitCode]);
    }

    [Fact]
    public async Task Run_FailingCommand_QuotesItsLastLinesOfOutput()
    {
        var step = Ts.Command("Noisy", "for i in 1 2 3 4 5 6 7; do echo line$i; done; echo broken >&2; exit 2");

        var result = await _runner.RunAsync(_agent.Context(step), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains("exited with code 2, which is not a success code (0)", result.Message);
        Assert.Contains("line7", result.Message);
        Assert.Contains("stderr: broken", result.Message);
        Assert.DoesNotContain("line3", result.Message);
    }

    [Fact]
    public async Task Run_FailingCommand_KeepsItsErrorLineWhenMuchOutputFollowsIt()
    {
        var step = Ts.Command("Verbose", "echo 'disk not found' >&2; sleep 0.3; i=0; while [ $i -lt 300 ]; do echo out$i; i=$((i+1)); done; exit 1");

        var result = await _runner.RunAsync(_agent.Context(step), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains("stderr: disk not found", result.Message);
        Assert.Contains("out299", result.Message);
        Assert.DoesNotContain("out295", result.Message);
    }

    [Fact]
    public async Task Run_Output_GoesToTheLogLineByLine()
    {
        var step = Ts.Command("Talks", "echo first; echo second >&2");

        await _runner.RunAsync(_agent.Context(step), CancellationToken.None);

        var log = _agent.LogText();
        Assert.Contains("[RunCommandLine] [DC400001 step 0 'Talks'] first", log);
        Assert.Contains("[RunCommandLine] [DC400001 step 0 'Talks'] stderr: second", log);
    }

    [Fact]
    public async Task Run_WorkingDirectory_DefaultsToTheWorkDirectoryAndCanBeSet()
    {
        var elsewhere = Path.Combine(_agent.DataDirectory, "elsewhere");
        Directory.CreateDirectory(elsewhere);

        await _runner.RunAsync(_agent.Context(Ts.Command("Default", "pwd > here.txt")), CancellationToken.None);
        await _runner.RunAsync(_agent.Context(Ts.Command("Set", "pwd > here.txt", workingDirectory: elsewhere)), CancellationToken.None);

        Assert.Equal(_agent.WorkDirectory() + "\n", _agent.ReadWorkFile("here.txt"));
        Assert.Equal(elsewhere + "\n", File.ReadAllText(Path.Combine(elsewhere, "here.txt")));
    }

    [Fact]
    public async Task Run_MissingWorkingDirectory_FailsWithItsName()
    {
        var result = await _runner.RunAsync(_agent.Context(Ts.Command("Lost", "true", workingDirectory: "/no/such/dir")), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains("'/no/such/dir' does not exist", result.Message);
    }

    [Theory]
    [InlineData("0", null)]
    [InlineData("ten", null)]
    [InlineData(null, "zero")]
    public async Task Run_BadParameter_FailsWithTheParameterName(string? timeoutSeconds, string? successCodes)
    {
        var step = Ts.Command("Bad", "touch ran.txt", timeoutSeconds: timeoutSeconds, successCodes: successCodes);

        var result = await _runner.RunAsync(_agent.Context(step), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains(timeoutSeconds is not null ? "'timeoutSeconds'" : "'successCodes'", result.Message);
        Assert.False(File.Exists(_agent.WorkFile("ran.txt")));
    }

    [Fact]
    public async Task Run_CommandReadingInput_GetsEndOfInputInsteadOfWaiting()
    {
        // With an open standard input, read would wait for ever; at end of input it fails with 1.
        var result = await _runner.RunAsync(_agent.Context(Ts.Command("Asks", "read answer; exit $?")), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal(1, result.ExitCode);
    }
}
