using Deploycast.DistributionPoint.Storage;

namespace Deploycast.DistributionPoint.Hosting;

/// <summary>
/// Decides who gets an encrypted package: its multicast session key, or its content by HTTP. Alone, the DP accepts its
/// client token (<see cref="TokenClientAuthorizer"/>); with the site server in the same process, a device's own
/// credential is accepted too, for the packages deployed to that device only.
/// </summary>
public interface IClientAuthorizer
{
    /// <summary>Whether the bearer of <paramref name="token"/> may receive <paramref name="package"/>.</summary>
    ValueTask<bool> MayReceiveAsync(string? token, DistributionPointPackage package, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the bearer of <paramref name="token"/> is a distribution point registered with this DP's site, fetching
    /// content distributed to it: it gets every package by HTTP, multicast-only and encrypted ones too (content travels
    /// between DPs by HTTPS; the multicast options bind what DPs offer clients). None by default.
    /// </summary>
    ValueTask<bool> IsDistributionPointAsync(string? token, CancellationToken cancellationToken) => ValueTask.FromResult(false);
}

/// <summary>The DP's client token (or its admin token) allows every package.</summary>
public sealed class TokenClientAuthorizer(AccessTokens tokens) : IClientAuthorizer
{
    public ValueTask<bool> MayReceiveAsync(string? token, DistributionPointPackage package, CancellationToken cancellationToken) =>
        ValueTask.FromResult(tokens.IsClient(token));
}
