using System.Security.Cryptography;
using System.Text.Json;
using Deploycast.Site.Model;

namespace Deploycast.Agent.Engine;

/// <summary>
/// A fingerprint of a task sequence's steps (names, types, parameters, continue on error, conditions), so the engine can
/// tell that the administrator changed the task sequence since a run started. Parameters are taken in name order, so the
/// order a dictionary happens to hold them in does not matter; the task sequence's name and description do not count.
/// </summary>
internal static class TaskSequenceHash
{
    public static string Compute(IReadOnlyList<TaskSequenceStep> steps)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var step in steps)
            {
                json.WriteStartObject();
                json.WriteString("name", step.Name);
                json.WriteString("type", step.Type.ToString());
                json.WriteStartObject("parameters");
                foreach (var (name, value) in step.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    json.WriteString(name, value);
                }

                json.WriteEndObject();
                json.WriteBoolean("continueOnError", step.ContinueOnError);
                if (step.Condition is { } c)
                {
                    json.WriteStartObject("condition");
                    json.WriteString("variable", c.Variable);
                    json.WriteString("operator", c.Operator.ToString());
                    json.WriteString("value", c.Value);
                    json.WriteEndObject();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
    }
}
