using System.Globalization;
using System.Text;

namespace Deploycast.Agent.Logging;

/// <summary>
/// The agent's log in the spirit of smsts.log: one line per event with the local time, severity, component, and the
/// deployment and step it belongs to, appended to <c>deploycast-agent.log</c> in the data directory (rolled over to
/// <c>.1</c> at 10 MiB) and echoed to an optional writer (the console). Safe from several threads.
/// </summary>
public sealed class AgentLog : IDisposable
{
    /// <summary>The log file's name in the data directory.</summary>
    public const string FileName = "deploycast-agent.log";

    private const long RollOverBytes = 10 << 20;

    private readonly object _gate = new();
    private readonly string _path;
    private readonly TextWriter? _echo;
    private readonly TimeProvider _time;
    private StreamWriter _writer;

    public AgentLog(string dataDirectory, TextWriter? echo = null, TimeProvider? time = null)
    {
        Directory.CreateDirectory(dataDirectory);
        _path = Path.Combine(dataDirectory, FileName);
        _echo = echo;
        _time = time ?? TimeProvider.System;
        _writer = Open(_path);
    }

    /// <summary>The log file.</summary>
    public string FilePath => _path;

    public void Info(string component, string message, string? deploymentId = null, int? step = null, string? stepName = null) =>
        Write("INFO", component, message, deploymentId, step, stepName);

    public void Warning(string component, string message, string? deploymentId = null, int? step = null, string? stepName = null) =>
        Write("WARN", component, message, deploymentId, step, stepName);

    public void Error(string component, string message, string? deploymentId = null, int? step = null, string? stepName = null) =>
        Write("ERROR", component, message, deploymentId, step, stepName);

    private void Write(string severity, string component, string message, string? deploymentId, int? step, string? stepName)
    {
        var line = new StringBuilder(128)
            .Append(_time.GetLocalNow().ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture))
            .Append(' ').Append(severity.PadRight(5))
            .Append(" [").Append(component).Append(']');
        if (deploymentId is not null)
        {
            line.Append(" [").Append(deploymentId);
            if (step is { } s)
            {
                line.Append(" step ").Append(s.ToString(CultureInfo.InvariantCulture));
                if (stepName is not null)
                {
                    line.Append(" '").Append(stepName).Append('\'');
                }
            }

            line.Append(']');
        }

        line.Append(' ').Append(message.ReplaceLineEndings(" | "));
        var text = line.ToString();
        lock (_gate)
        {
            _writer.WriteLine(text);
            _writer.Flush();
            _echo?.WriteLine(text);
            if (_writer.BaseStream.Length > RollOverBytes)
            {
                _writer.Dispose();
                File.Move(_path, _path + ".1", overwrite: true);
                _writer = Open(_path);
            }
        }
    }

    private static StreamWriter Open(string path) =>
        new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete), new UTF8Encoding(false));

    public void Dispose()
    {
        lock (_gate)
        {
            _writer.Dispose();
        }
    }
}
