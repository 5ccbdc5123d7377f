namespace Deploycast.DistributionPoint.Sessions;

/// <summary>Starts multicast sessions; the distribution point host implements it over the UDP sender.</summary>
public interface IMulticastSessionFactory
{
    /// <summary>Starts sending as <paramref name="plan"/> says; may throw when the session cannot start.</summary>
    IMulticastSession Start(MulticastSessionPlan plan);
}
