using Deploycast.Site.Model;

namespace Deploycast.Agent.Content;

/// <summary>How one package version may travel to this computer: by multicast first, by unicast (HTTP), or not at all
/// (then <see cref="Refusal"/> says why in words an administrator can act on).</summary>
/// <param name="Multicast">Ask the distribution point for a multicast session first.</param>
/// <param name="Unicast">Download by HTTP range requests when multicast is not used, is not offered, fails, or the
/// slow-client policy disconnects this computer.</param>
/// <param name="Refusal">Why the content cannot be had, or null when it can.</param>
internal sealed record TransferPlan(bool Multicast, bool Unicast, string? Refusal = null)
{
    /// <summary>Whether the content can be had at all.</summary>
    public bool Possible => Refusal is null && (Multicast || Unicast);

    /// <summary>
    /// The plan a deployment's policy gives, before any distribution point is asked. Multicast serves only "download
    /// content locally when needed" (the site already sets <see cref="PolicyContent.Multicast"/> only then; the agent
    /// checks again); unicast only when the policy allows it and the package is not multicast-only.
    /// </summary>
    public static TransferPlan ForPolicy(ContentOption option, PolicyContent content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var multicast = content.Multicast && option == ContentOption.DownloadLocallyWhenNeeded;
        var unicast = content.UnicastAllowed && !content.MulticastOnly;
        if (multicast || unicast)
        {
            return new TransferPlan(multicast, unicast);
        }

        var package = Describe(content);
        if (content.MulticastOnly)
        {
            return new TransferPlan(false, false,
                $"{package} is set to transfer only via multicast ('Transfer this package only via multicast'), but the deployment's content option '{OptionText(option)}' "
                + "is not served by multicast; deploy it with 'Download content locally when needed by the running task sequence'.");
        }

        return new TransferPlan(false, false,
            $"{package} may travel neither by multicast nor by unicast under this deployment (content option '{OptionText(option)}', "
            + "unicast fallback not allowed); allow multicast on the package or unicast fallback on the deployment.");
    }

    /// <summary>
    /// The plan for one distribution point, given whether it has multicast enabled (its <c>/api/v1/dp/</c> info).
    /// A DP with multicast disabled serves by unicast only; for content that may not use unicast it is of no use.
    /// </summary>
    public TransferPlan AtDistributionPoint(PolicyContent content, PolicyDistributionPoint distributionPoint, bool multicastEnabled)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(distributionPoint);
        if (!Possible || !Multicast || multicastEnabled)
        {
            return this;
        }

        if (Unicast)
        {
            return this with { Multicast = false };
        }

        var where = $"distribution point {distributionPoint.Id} ({distributionPoint.Url})";
        return content.MulticastOnly
            ? new TransferPlan(false, false,
                $"{Describe(content)} is set to transfer only via multicast ('Transfer this package only via multicast'), and {where} has multicast disabled, so it cannot be downloaded; "
                + "enable multicast on the distribution point or clear the package's 'Transfer this package only via multicast' option.")
            : new TransferPlan(false, false,
                $"{Describe(content)} may only travel by multicast for this deployment (unicast fallback is not allowed), and {where} has multicast disabled; "
                + "enable multicast on the distribution point or allow unicast fallback on the deployment.");
    }

    /// <summary>How the logs and messages name a package version.</summary>
    public static string Describe(PolicyContent content) => $"Package {content.PackageId} version {content.Version} ('{content.Name}')";

    private static string OptionText(ContentOption option) => option switch
    {
        ContentOption.DownloadLocallyWhenNeeded => "Download content locally when needed by the running task sequence",
        ContentOption.DownloadAllBeforeStarting => "Download all content locally before starting task sequence",
        ContentOption.AccessDirectly => "Access content directly from a distribution point",
        _ => option.ToString(),
    };
}
