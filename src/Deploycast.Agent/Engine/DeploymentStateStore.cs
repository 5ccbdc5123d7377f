using System.Text.Json;

namespace Deploycast.Agent.Engine;

/// <summary>
/// Reads and writes a deployment's <c>state.json</c>. Writes are atomic: the new state goes to a temporary file that is
/// flushed to disk (fsync) and then renamed over the old one, so a crash or power loss leaves either the old or the new
/// state, never a torn file.
/// </summary>
internal sealed class DeploymentStateStore(string directory)
{
    /// <summary>The state file's name in the deployment's directory.</summary>
    public const string FileName = "state.json";

    public string FilePath { get; } = Path.Combine(directory, FileName);

    /// <summary>Reads the state; null when there is none. A file that cannot be read as state is moved aside to
    /// <c>state.json.bad</c> and reported through <paramref name="problem"/>.</summary>
    public DeploymentRunState? Load(out string? problem)
    {
        problem = null;
        if (!File.Exists(FilePath))
        {
            return null;
        }

        try
        {
            var bytes = File.ReadAllBytes(FilePath);
            var state = JsonSerializer.Deserialize(bytes, DeploymentRunStateJsonContext.Default.DeploymentRunState);
            if (state is null || state.Format != DeploymentRunState.CurrentFormat)
            {
                problem = $"{FilePath} is not a state file this agent knows (format {state?.Format.ToString() ?? "none"})";
            }
            else
            {
                // JSON gives back a case-sensitive dictionary; variable names are not.
                state.Variables = new Dictionary<string, string>(state.Variables, StringComparer.OrdinalIgnoreCase);
                return state;
            }
        }
        catch (JsonException e)
        {
            problem = $"{FilePath} is not valid JSON ({e.Message})";
        }

        File.Move(FilePath, FilePath + ".bad", overwrite: true);
        return null;
    }

    public void Save(DeploymentRunState state)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        var temporary = FilePath + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, state, DeploymentRunStateJsonContext.Default.DeploymentRunState);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, FilePath, overwrite: true);
    }
}
