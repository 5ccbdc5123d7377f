namespace Deploycast.DistributionPoint.Hosting;

/// <summary>Start-up settings of the distribution point role (configuration section "DistributionPoint").</summary>
public sealed class DistributionPointOptions
{
    public const string Section = "DistributionPoint";

    /// <summary>
    /// Where the role keeps its database (<c>dp.db</c>), content library (<c>content/</c>), site key and TLS
    /// certificate. Default: <c>$XDG_DATA_HOME/deploycast</c> (<c>~/.local/share/deploycast</c>).
    /// </summary>
    public string DataDirectory { get; set; } = DefaultDataDirectory;

    /// <summary>A PKCS#12 certificate for HTTPS; null makes (once) and keeps a self-signed one. Default null.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of <see cref="CertificatePath"/>. Default null.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// Administrator token; null makes a random one at first start, printed once and stored hashed. Given here, it
    /// replaces the stored one (scripts and tests). Default null.
    /// </summary>
    public string? AdminToken { get; set; }

    /// <summary>
    /// Token clients present to get session keys of encrypted packages (until agents get their own identity from the
    /// site server). Same rules as <see cref="AdminToken"/>. Default null.
    /// </summary>
    public string? ClientToken { get; set; }

    /// <summary>Directory of the lock files that keep two distribution points on one host off each other's group and port. Default: under the temporary directory.</summary>
    public string? LockDirectory { get; set; }

    /// <summary>How often the scheduler starts due sessions, applies the slow-client policy and ends idle sessions. Default 250 ms (100 ms..10 s).</summary>
    public TimeSpan SchedulerInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    public static string DefaultDataDirectory
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
            var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
            return Path.Combine(root, "deploycast");
        }
    }

    /// <summary>Every problem with the options, each naming its setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            errors.Add($"{Section}:{nameof(DataDirectory)} must name a directory.");
        }

        if (CertificatePath is not null && !File.Exists(CertificatePath))
        {
            errors.Add($"{Section}:{nameof(CertificatePath)} names '{CertificatePath}', which does not exist.");
        }

        if (AdminToken is { Length: < 16 })
        {
            errors.Add($"{Section}:{nameof(AdminToken)} must be at least 16 characters.");
        }

        if (ClientToken is { Length: < 16 })
        {
            errors.Add($"{Section}:{nameof(ClientToken)} must be at least 16 characters.");
        }

        if (SchedulerInterval < TimeSpan.FromMilliseconds(100) || SchedulerInterval > TimeSpan.FromSeconds(10))
        {
            errors.Add($"{Section}:{nameof(SchedulerInterval)} must be between 100 ms and 10 s, not {SchedulerInterval}.");
        }

        return errors;
    }
}
