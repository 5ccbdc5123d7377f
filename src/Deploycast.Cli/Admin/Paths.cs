namespace Deploycast.Cli.Admin;

/// <summary>API paths, with identifiers escaped.</summary>
internal static class Paths
{
    public static string Of(string prefix, string id, string? suffix = null) =>
        $"{prefix}/{Uri.EscapeDataString(id)}{(suffix is null ? string.Empty : "/" + suffix)}";
}
