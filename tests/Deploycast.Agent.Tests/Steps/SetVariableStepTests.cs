using Deploycast.Agent.Steps;

namespace Deploycast.Agent.Tests.Steps;

public sealed class SetVariableStepTests : IDisposable
{
    private readonly AgentSandbox _agent = new();

    public void Dispose() => _agent.Dispose();

    [Theory]
    [InlineData("OSDisk", "/dev/sda")]
    [InlineData("_Custom", "")]
    public async Task Run_SetsTheVariable(string name, string value)
    {
        var variables = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        var result = await new SetVariableStep().RunAsync(_agent.Context(Ts.SetVariable("Set", name, value), variables: variables), CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Equal(value, variables[name.ToUpperInvariant()]);
    }

    [Theory]
    [InlineData("_DCLastExitCode", "read-only")]
    [InlineData("_dcStepName", "read-only")]
    [InlineData("1abc", "not a variable name")]
    [InlineData("has space", "not a variable name")]
    public async Task Run_NameNotAllowed_FailsAndSetsNothing(string name, string reason)
    {
        var variables = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        var result = await new SetVariableStep().RunAsync(_agent.Context(Ts.SetVariable("Set", name, "x"), variables: variables), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains(reason, result.Message);
        Assert.Empty(variables);
    }
}
