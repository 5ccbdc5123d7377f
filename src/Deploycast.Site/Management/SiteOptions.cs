namespace Deploycast.Site.Management;

/// <summary>Start-up settings of the site server role (configuration section "Site"; the database is in <see cref="Storage.SiteStoreOptions"/>).</summary>
public sealed class SiteOptions
{
    public const string Section = "Site";

    /// <summary>How devices that register are approved. Default <see cref="DeviceApprovalMode.AutoApproveKnown"/>.</summary>
    public DeviceApprovalMode DeviceApproval { get; set; } = DeviceApprovalMode.AutoApproveKnown;

    /// <summary>
    /// How often a registered distribution point polls the site for the content assigned to it (and reports its
    /// status, which is its heartbeat). Default 60 s; 1 s to 1 h. The site tells the DP at every poll.
    /// </summary>
    public TimeSpan DistributionPointPollInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Every problem with the options, each naming its setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (DistributionPointPollInterval < TimeSpan.FromSeconds(1) || DistributionPointPollInterval > TimeSpan.FromHours(1))
        {
            errors.Add($"{Section}:{nameof(DistributionPointPollInterval)} must be from 00:00:01 to 01:00:00; it is {DistributionPointPollInterval}.");
        }

        if (!Enum.IsDefined(DeviceApproval))
        {
            errors.Add($"{Section}:{nameof(DeviceApproval)} must be one of {string.Join(", ", Enum.GetNames<DeviceApprovalMode>())}.");
        }

        return errors;
    }
}

/// <summary>How the site approves devices that register (Configuration Manager's client approval setting).</summary>
public enum DeviceApprovalMode
{
    /// <summary>Every device waits for an administrator's approval, imported ones included.</summary>
    Manual,

    /// <summary>Devices an administrator imported (known by MAC address or SMBIOS UUID) are approved; unknown
    /// computers wait for approval.</summary>
    AutoApproveKnown,

    /// <summary>Every device is approved at once, unknown computers included (a closed lab network).</summary>
    AutoApproveAll,
}
