namespace Deploycast.DistributionPoint.Settings;

/// <summary>
/// What the distribution point does with a client that cannot keep up with its multicast session
/// (WDS's "transfer settings for slow clients").
/// </summary>
public enum SlowClientPolicy
{
    /// <summary>Leave slow clients in their session; the sender already stops letting them pace the group. The default.</summary>
    None,

    /// <summary>
    /// Dismiss a slow client whose rate is under <see cref="MulticastSettings.SlowClientThreshold"/>; it falls back to
    /// unicast when <see cref="MulticastSettings.FallBackToUnicast"/> is on and the package allows unicast.
    /// </summary>
    AutoDisconnect,

    /// <summary>
    /// Move a slow client to a separate, slower session of the same package version
    /// (<see cref="MulticastSettings.MultistreamTiers"/> speed tiers).
    /// </summary>
    Multistream,
}
