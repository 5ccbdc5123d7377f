using System.Globalization;

namespace Deploycast.Imaging.Tests;

/// <summary>wimlib's own command-line tools, run as processes: they make the WIMs and give the independent answers.</summary>
internal static class WimTools
{
    public static void Capture(string source, string wim, string name, string? description = null)
    {
        var arguments = new List<string> { source, wim, name };
        if (description is not null)
        {
            arguments.Add(description);
        }

        Tool.Run("wimcapture", [.. arguments]);
    }

    public static void Append(string source, string wim, string name) => Tool.Run("wimappend", source, wim, name);

    /// <summary>One field of <c>wiminfo WIM INDEX</c>, e.g. "Total Bytes".</summary>
    public static string Info(string wim, int index, string field)
    {
        foreach (var line in Tool.Run("wiminfo", wim, index.ToString(CultureInfo.InvariantCulture)).Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == field)
            {
                return line[(colon + 1)..].Trim();
            }
        }

        throw new InvalidOperationException($"wiminfo printed no '{field}' for image {index} of {wim}");
    }

    public static long InfoNumber(string wim, int index, string field) => long.Parse(Info(wim, index, field), CultureInfo.InvariantCulture);
}
