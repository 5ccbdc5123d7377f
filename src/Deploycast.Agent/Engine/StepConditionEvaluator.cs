using Deploycast.Site.Model;

namespace Deploycast.Agent.Engine;

/// <summary>Decides whether a step's condition holds, and says why in words for the log and the skip message.</summary>
internal static class StepConditionEvaluator
{
    /// <summary>Whether <paramref name="condition"/> holds; null always holds. Values compare ordinal, ignoring case;
    /// the condition's value may itself use variables.</summary>
    public static bool Holds(StepCondition? condition, IReadOnlyDictionary<string, string> variables, out string explanation)
    {
        if (condition is null)
        {
            explanation = "no condition";
            return true;
        }

        var isSet = variables.TryGetValue(condition.Variable, out var actual);
        var expected = condition.Value is null ? null : VariableExpander.Expand(condition.Value, variables);
        var equal = isSet && string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase);
        var holds = condition.Operator switch
        {
            ConditionOperator.Equals => equal,
            ConditionOperator.NotEquals => !equal,
            ConditionOperator.Exists => isSet,
            ConditionOperator.NotExists => !isSet,
            _ => false,
        };

        var test = condition.Operator is ConditionOperator.Equals or ConditionOperator.NotEquals
            ? $"{condition.Variable} {condition.Operator} '{expected}'"
            : $"{condition.Variable} {condition.Operator}";
        var now = isSet ? $"{condition.Variable} is '{actual}'" : $"{condition.Variable} is not set";
        explanation = $"the condition {test} is {(holds ? "true" : "false")} ({now})";
        return holds;
    }
}
