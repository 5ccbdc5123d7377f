namespace Deploycast.DistributionPoint.Sessions;

/// <summary>A client asks to receive a package's content by multicast.</summary>
/// <param name="ClientId">The client (device) identity, stable across its retries; compared without regard to case.</param>
/// <param name="Content">The package content it needs.</param>
public sealed record SessionRequest(string ClientId, PackageContentRef Content);
