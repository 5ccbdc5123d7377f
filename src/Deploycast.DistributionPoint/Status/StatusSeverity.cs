namespace Deploycast.DistributionPoint.Status;

/// <summary>Severities of status messages, spelled as Configuration Manager spells them.</summary>
public static class StatusSeverity
{
    /// <summary>Something happened as it should.</summary>
    public const string Informational = "Informational";

    /// <summary>Something an administrator may want to look at.</summary>
    public const string Warning = "Warning";

    /// <summary>Something failed.</summary>
    public const string Error = "Error";
}
