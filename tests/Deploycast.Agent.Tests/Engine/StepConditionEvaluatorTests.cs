using Deploycast.Agent.Engine;
using Deploycast.Site.Model;

namespace Deploycast.Agent.Tests.Engine;

public sealed class StepConditionEvaluatorTests
{
    private static readonly Dictionary<string, string> Variables = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Role"] = "Kiosk",
        ["Wanted"] = "KIOSK",
    };

    [Theory]
    [InlineData("Role", ConditionOperator.Equals, "kiosk", true)]
    [InlineData("ROLE", ConditionOperator.Equals, "Lab", false)]
    [InlineData("Role", ConditionOperator.Equals, "%Wanted%", true)]
    [InlineData("Missing", ConditionOperator.Equals, "", false)]
    [InlineData("Role", ConditionOperator.NotEquals, "Lab", true)]
    [InlineData("Role", ConditionOperator.NotEquals, "KIOSK", false)]
    [InlineData("Missing", ConditionOperator.NotEquals, "x", true)]
    [InlineData("role", ConditionOperator.Exists, null, true)]
    [InlineData("Missing", ConditionOperator.Exists, null, false)]
    [InlineData("Missing", ConditionOperator.NotExists, null, true)]
    [InlineData("Role", ConditionOperator.NotExists, null, false)]
    public void Holds_ComparesWithoutRegardToCase(string variable, ConditionOperator op, string? value, bool expected)
    {
        Assert.Equal(expected, StepConditionEvaluator.Holds(new StepCondition(variable, op, value), Variables, out _));
    }

    [Fact]
    public void Holds_NoCondition_AlwaysRuns()
    {
        Assert.True(StepConditionEvaluator.Holds(null, Variables, out _));
    }
}
