using Deploycast.Agent.Steps;

namespace Deploycast.Agent.Tests.Steps;

public sealed class RestartComputerStepTests : IDisposable
{
    private readonly AgentSandbox _agent = new();
    private readonly RestartComputerStep _runner = new(TimeProvider.System);

    public void Dispose() => _agent.Dispose();

    [Fact]
    public async Task Run_CommandSucceeds_AsksForARestart()
    {
        var result = await _runner.RunAsync(_agent.Context(Ts.Restart("Restart", "touch restarting.txt")), CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.True(result.RestartRequested);
        Assert.True(File.Exists(_agent.WorkFile("restarting.txt")));
    }

    [Fact]
    public async Task Run_NoCommand_RunsTheAgentsRestartCommand()
    {
        var options = _agent.Options with { RestartCommand = "echo configured > restart-command.txt" };

        var result = await _runner.RunAsync(_agent.Context(Ts.Restart("Restart", null), options: options), CancellationToken.None);

        Assert.True(result.RestartRequested);
        Assert.Equal("configured\n", _agent.ReadWorkFile("restart-command.txt"));
    }

    [Fact]
    public async Task Run_CommandFails_FailsTheStepWithItsOutput()
    {
        var result = await _runner.RunAsync(_agent.Context(Ts.Restart("Restart", "echo 'Access denied' >&2; exit 1")), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.False(result.RestartRequested);
        Assert.Contains("exited with code 1", result.Message);
        Assert.Contains("Access denied", result.Message);
    }

    [Fact]
    public async Task Run_CommandDoesNotExist_FailsTheStep()
    {
        var result = await _runner.RunAsync(_agent.Context(Ts.Restart("Restart", "no-such-reboot-tool-xyz")), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains("exited with code 127", result.Message);
        Assert.Contains("not found", result.Message);
    }
}
