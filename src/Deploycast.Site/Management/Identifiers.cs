using System.Globalization;
using System.Text.RegularExpressions;

namespace Deploycast.Site.Management;

/// <summary>Object ids in the site's own style (site code <c>DC</c>, a kind digit, five digits) and MAC address forms.</summary>
public static partial class Identifiers
{
    /// <summary>The built-in collection of every approved device.</summary>
    public const string AllSystems = "DCS00001";

    /// <summary>The built-in collection of devices that registered without having been imported.</summary>
    public const string AllUnknownComputers = "DCS00002";

    internal const string PackageCounter = "package";
    internal const string CollectionCounter = "collection";
    internal const string TaskSequenceCounter = "tasksequence";
    internal const string DeploymentCounter = "deployment";

    internal static string Package(long n) => Format('1', n);

    internal static string Collection(long n) => Format('2', n);

    internal static string TaskSequence(long n) => Format('3', n);

    internal static string Deployment(long n) => Format('4', n);

    private static string Format(char kind, long n) =>
        n < 100_000 ? string.Create(CultureInfo.InvariantCulture, $"DC{kind}{n:D5}") : string.Create(CultureInfo.InvariantCulture, $"DC{kind}{n}");

    /// <summary>Whether a string may be used as an object id in a URL: 1 to 64 letters, digits, '-', '_', '.'.</summary>
    public static bool IsWellFormedId(string? id) => id is not null && IdPattern().IsMatch(id);

    /// <summary>
    /// Normalizes a MAC address written with ':' or '-' separators, or none, to lower-case <c>00:11:22:aa:bb:cc</c>;
    /// null when it is not six bytes.
    /// </summary>
    public static string? NormalizeMac(string? mac)
    {
        var bytes = ParseHexBytes(mac);
        return bytes is { Length: 6 } ? string.Join(':', bytes.Select(b => b.ToString("x2", CultureInfo.InvariantCulture))) : null;
    }

    /// <summary>Normalizes a MAC prefix of 1 to 6 bytes (<c>00-15-5D</c> to <c>00:15:5d</c>); null when malformed.</summary>
    public static string? NormalizeMacPrefix(string? prefix)
    {
        var bytes = ParseHexBytes(prefix);
        return bytes is { Length: >= 1 and <= 6 } ? string.Join(':', bytes.Select(b => b.ToString("x2", CultureInfo.InvariantCulture))) : null;
    }

    private static byte[]? ParseHexBytes(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var t = text.Trim();
        string[] parts;
        if (t.Contains(':', StringComparison.Ordinal) || t.Contains('-', StringComparison.Ordinal))
        {
            parts = t.Split(t.Contains(':', StringComparison.Ordinal) ? ':' : '-');
        }
        else
        {
            if (t.Length % 2 != 0)
            {
                return null;
            }

            parts = Enumerable.Range(0, t.Length / 2).Select(i => t.Substring(i * 2, 2)).ToArray();
        }

        var bytes = new byte[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length != 2 || !byte.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out bytes[i]))
            {
                return null;
            }
        }

        return bytes;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex IdPattern();
}
