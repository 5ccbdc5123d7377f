using Deploycast.DistributionPoint.Api;
using Deploycast.DistributionPoint.Hosting;
using Deploycast.DistributionPoint.Status;
using Deploycast.DistributionPoint.Storage;
using Deploycast.Site.Api;
using Deploycast.Site.Management;
using Deploycast.Site.Model;
using StatusSeverity = Deploycast.Site.Model.StatusSeverity;
using Microsoft.Extensions.Logging;

namespace Deploycast.Server;

/// <summary>The site server's view of the DP role in the same process: content goes into its library.</summary>
internal sealed class LocalContentDistributor(DistributionPointRole role, TlsIdentity tls) : IContentDistributor
{
    /// <summary>The local DP's id in the site.</summary>
    public const string LocalId = "local";

    private Uri? _url;

    public string DistributionPointId => LocalId;

    public (Uri Url, string CertificateFingerprint) Endpoint =>
        (_url ?? throw new InvalidOperationException("The server's address is not known before it listens."), tls.Fingerprint);

    public string SiteKey => Convert.ToBase64String(role.SiteKey.PublicKeySpki);

    /// <summary>Sets the address agents reach this DP at, once Kestrel listens.</summary>
    public void SetUrl(Uri url) => _url = url;

    public async Task<DistributedContent> ImportAsync(ContentImportRequest request, CancellationToken cancellationToken)
    {
        var options = request.Options;
        var package = await role.AddPackageAsync(request.PackageId, request.Version, request.Name, request.SourcePath,
            options.AllowMulticast, options.EncryptMulticast, options.MulticastOnly, progress: null, cancellationToken).ConfigureAwait(false);
        return new DistributedContent(package.ContentId, package.Size);
    }

    public Task UpdateOptionsAsync(string packageId, int version, PackageMulticastOptions options, CancellationToken cancellationToken)
    {
        role.SetPackageOptions(packageId, version, options.AllowMulticast, options.EncryptMulticast, options.MulticastOnly);
        return Task.CompletedTask;
    }
}

/// <summary>One administrator token for the whole server: the DP role's.</summary>
internal sealed class ServerAdminAuthenticator(AccessTokens tokens) : IAdminAuthenticator
{
    public bool IsAdmin(string? token) => tokens.IsAdmin(token);
}

/// <summary>
/// Encrypted packages go to holders of the client token, and to devices they are deployed to (by the device's own
/// credential): a device cannot get the key of a session it is not deployed. A device this server's site does not know
/// may belong to the site this DP registered with, which is then asked (<see cref="SiteClientChecks"/>).
/// </summary>
internal sealed class SiteClientAuthorizer(AccessTokens tokens, SiteManager site, SiteClientChecks registeredSite) : IClientAuthorizer
{
    public async ValueTask<bool> MayReceiveAsync(string? token, DistributionPointPackage package, CancellationToken cancellationToken)
    {
        if (tokens.IsClient(token))
        {
            return true;
        }

        var device = await site.AuthenticateDeviceAsync(token, cancellationToken).ConfigureAwait(false);
        if (device is not null)
        {
            return await site.IsDeployedContentAsync(device, package.PackageId, cancellationToken).ConfigureAwait(false);
        }

        return registeredSite.IsConnected && SiteManager.IsDeviceCredentialShaped(token)
            && await registeredSite.IsAllowedAsync(token, package.PackageId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A DP registered with this site fetches the content distributed to it, whatever its multicast options.</summary>
    public async ValueTask<bool> IsDistributionPointAsync(string? token, CancellationToken cancellationToken) =>
        await site.AuthenticateDistributionPointAsync(token, cancellationToken).ConfigureAwait(false) is not null;
}

/// <summary>Copies the DP role's status messages into the site's, so one list shows everything.</summary>
internal sealed partial class DistributionPointStatusForwarder(SiteManager site, ILogger<DistributionPointStatusForwarder> logger)
{
    public void Forward(DistributionPointStatus status)
    {
        var severity = status.Severity switch
        {
            "Error" => StatusSeverity.Error,
            "Warning" => StatusSeverity.Warning,
            _ => StatusSeverity.Informational,
        };
        var message = new StatusMessage(0, status.Time, StatusSource.DistributionPoint, status.MessageId, severity, status.Component,
            status.Description, DistributionPointId: LocalContentDistributor.LocalId);
        _ = ForwardAsync(message);
    }

    private async Task ForwardAsync(StatusMessage message)
    {
        try
        {
            await site.RecordStatusAsync(message, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            NotForwarded(logger, e);
        }
    }

    [LoggerMessage(EventId = 5190, Level = LogLevel.Warning, Message = "A distribution point status message could not be stored in the site database")]
    private static partial void NotForwarded(ILogger logger, Exception exception);
}

/// <summary>Counts a WIM's images through wimlib, so task sequences naming an index the WIM lacks are refused.</summary>
internal sealed class WimImageInspector : IImageInspector
{
    public int? CountWimImages(string path)
    {
        try
        {
            using var wim = Deploycast.Imaging.Wim.WimImage.Open(path);
            return wim.ImageCount;
        }
        catch (Deploycast.Imaging.ImageApplyException)
        {
            // wimlib missing or the file unreadable as a WIM: the index is then checked when the agent applies it.
            return null;
        }
    }
}
