namespace Deploycast.Site.Management;

/// <summary>Start-up settings of the site server role (configuration section "Site").</summary>
public sealed class SiteOptions
{
    public const string Section = "Site";

    /// <summary>A PostgreSQL connection string; null (the default) keeps the site database in SQLite, <c>site.db</c> in
    /// the data directory. Several servers given one PostgreSQL database share one site.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How devices that register are approved. Default <see cref="DeviceApprovalMode.AutoApproveKnown"/>.</summary>
    public DeviceApprovalMode DeviceApproval { get; set; } = DeviceApprovalMode.AutoApproveKnown;

    /// <summary>Every problem with the options, each naming its setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(DeviceApproval))
        {
            errors.Add($"{Section}:{nameof(DeviceApproval)} must be one of {string.Join(", ", Enum.GetNames<DeviceApprovalMode>())}.");
        }

        if (ConnectionString is not null && string.IsNullOrWhiteSpace(ConnectionString))
        {
            errors.Add($"{Section}:{nameof(ConnectionString)} is empty: give a PostgreSQL connection string or leave it unset for SQLite.");
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
