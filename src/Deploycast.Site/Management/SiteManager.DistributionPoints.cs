using System.Globalization;
using Deploycast.Site.Model;

namespace Deploycast.Site.Management;

public sealed partial class SiteManager
{
    /// <summary>Prefix of DP registration tokens, so a token pasted in the wrong place is recognisable.</summary>
    internal const string RegistrationTokenPrefix = "dcr_";

    /// <summary>Site setting holding one token's expiry; the name carries the token's SHA-256, never the token.</summary>
    private const string RegistrationTokenSetting = "dp-registration-token:";

    /// <summary>Default lifetime of a registration token, in hours (1 to 168).</summary>
    public const int DefaultRegistrationTokenHours = 24;

    /// <summary>Makes a registration token a distribution point presents once to register; it is shown only here.</summary>
    public async Task<DistributionPointToken> CreateDistributionPointTokenAsync(int? validHours, CancellationToken cancellationToken)
    {
        if (validHours is < 1 or > 168)
        {
            throw SiteValidationException.One("validHours", $"validHours must be from 1 to 168 (a week); it is {validHours}.");
        }

        await ListDistributionPointTokensAsync(cancellationToken).ConfigureAwait(false); // removes expired ones
        var token = NewSecret(RegistrationTokenPrefix);
        var hash = HashSecret(token);
        var expires = Now.AddHours(validHours ?? DefaultRegistrationTokenHours);
        await _store.SetSettingAsync(RegistrationTokenSetting + hash, expires.ToString("O", CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        return new DistributionPointToken(token, expires, TokenId(hash));
    }

    /// <summary>The registration tokens that are still accepted (by id and expiry); expired ones are deleted on the way.</summary>
    public async Task<IReadOnlyList<DistributionPointTokenInfo>> ListDistributionPointTokensAsync(CancellationToken cancellationToken)
    {
        var result = new List<DistributionPointTokenInfo>();
        foreach (var (name, value) in await _store.ListSettingsAsync(RegistrationTokenSetting, cancellationToken).ConfigureAwait(false))
        {
            if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var expires) && Now < expires)
            {
                result.Add(new DistributionPointTokenInfo(TokenId(name[RegistrationTokenSetting.Length..]), expires));
            }
            else
            {
                await _store.DeleteSettingAsync(name, cancellationToken).ConfigureAwait(false);
            }
        }

        return result.OrderBy(t => t.Expires).ToList();
    }

    /// <summary>
    /// Revokes a registration token before it expires, by its id (as <c>dp token</c> printed it) or the token itself. DPs
    /// already registered keep their credential; the token registers no more.
    /// </summary>
    public async Task RevokeDistributionPointTokenAsync(string idOrToken, CancellationToken cancellationToken)
    {
        var given = idOrToken?.Trim() ?? string.Empty;
        var hashPrefix = given.StartsWith(RegistrationTokenPrefix, StringComparison.Ordinal) ? HashSecret(given) : given.ToLowerInvariant();
        if (hashPrefix.Length < TokenIdLength || !hashPrefix.All(Uri.IsHexDigit))
        {
            throw SiteValidationException.One("id", $"'{given}' is neither a registration token id ({TokenIdLength} hex digits, as 'deploycast dp token list' shows) nor a token (dcr_...).");
        }

        var matches = (await _store.ListSettingsAsync(RegistrationTokenSetting + hashPrefix, cancellationToken).ConfigureAwait(false)).ToList();
        if (matches.Count == 0)
        {
            throw new SiteNotFoundException($"There is no registration token '{given}' (it may have expired and been deleted).");
        }

        foreach (var (name, _) in matches)
        {
            await _store.DeleteSettingAsync(name, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Hex digits of a token's SHA-256 that name it in lists: enough to tell tokens apart, useless to register.</summary>
    private const int TokenIdLength = 12;

    private static string TokenId(string hash) => hash[..TokenIdLength];

    /// <summary>
    /// Whether <paramref name="token"/> is a registration token this site made that has not expired. A token serves
    /// until it expires, so a DP restarted with the same token registers again.
    /// </summary>
    public async Task<bool> IsDistributionPointTokenValidAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token) || !token.StartsWith(RegistrationTokenPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var name = RegistrationTokenSetting + HashSecret(token);
        var stored = await _store.GetSettingAsync(name, cancellationToken).ConfigureAwait(false);
        if (DateTimeOffset.TryParse(stored, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var expires) && Now < expires)
        {
            return true;
        }

        if (stored is not null)
        {
            await _store.DeleteSettingAsync(name, cancellationToken).ConfigureAwait(false);
        }

        return false;
    }

    /// <summary>
    /// Records (or updates) a distribution point that runs as its own process. The caller has checked its registration
    /// token (<see cref="IsDistributionPointTokenValidAsync"/>).
    /// </summary>
    public async Task<DistributionPointRegistered> RegisterDistributionPointAsync(DistributionPointRegistration? request, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var id = request?.Id?.Trim();
        if (string.IsNullOrEmpty(id))
        {
            errors.Add("id", "id is required: the DP's name, for example its host name.");
        }
        else if (!Identifiers.IsWellFormedId(id))
        {
            errors.Add("id", $"id '{id}' must be 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit.");
        }
        else if (_distributor is not null && string.Equals(id, _distributor.DistributionPointId, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add("id", $"id '{id}' is the site server's own distribution point; choose another name.");
        }

        Uri? url = null;
        if (string.IsNullOrWhiteSpace(request?.Url))
        {
            errors.Add("url", "url is required: the DP's https:// address agents reach it at.");
        }
        else if (!Uri.TryCreate(request.Url.Trim(), UriKind.Absolute, out url) || url.Scheme != Uri.UriSchemeHttps)
        {
            errors.Add("url", $"url '{request.Url}' must be an absolute https:// address, such as https://dp2.example:8443/.");
        }

        var fingerprint = request?.CertificateFingerprint?.Trim().Replace(":", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
        if (string.IsNullOrEmpty(fingerprint))
        {
            errors.Add("certificateFingerprint", "certificateFingerprint is required: the SHA-256 of the DP's TLS certificate.");
        }
        else if (fingerprint.Length != 64 || !fingerprint.All(Uri.IsHexDigit))
        {
            errors.Add("certificateFingerprint", $"certificateFingerprint must be 64 hex digits (a SHA-256); it has {fingerprint.Length} characters.");
        }

        errors.ThrowIfAny();
        var existing = await _store.GetDistributionPointAsync(id!, cancellationToken).ConfigureAwait(false);
        if (existing is { IsLocal: true })
        {
            throw new SiteConflictException($"'{id}' is a site server's own distribution point; choose another name.");
        }

        var record = new DistributionPointRecord(id!, url!, fingerprint!, IsLocal: false, existing?.Registered ?? Now, Now, existing?.Health);
        await _store.SaveDistributionPointAsync(record, cancellationToken).ConfigureAwait(false);

        // A new credential at every registration: the DP polls the site with it; the one it had before stops working.
        var credential = NewSecret(DistributionPointCredentialPrefix);
        await _store.SetDistributionPointCredentialAsync(record.Id, HashSecret(credential), cancellationToken).ConfigureAwait(false);
        SiteLog.DistributionPointRegistered(_logger, record.Id, record.Url, existing is not null);
        return new DistributionPointRegistered(record, _distributor?.SiteKey, credential);
    }
}

/// <summary>A new registration token (shown once), when it stops being accepted, and its id (to revoke it).</summary>
public sealed record DistributionPointToken(string Token, DateTimeOffset Expires, string? Id = null);

/// <summary>A registration token that is still accepted: its id (the first 12 hex digits of its SHA-256) and expiry.</summary>
public sealed record DistributionPointTokenInfo(string Id, DateTimeOffset Expires);

/// <summary>Body of <c>POST /api/v1/distribution-points/registration-tokens</c>.</summary>
/// <param name="ValidHours">How long the token is accepted, 1 to 168 hours; default 24.</param>
public sealed record DistributionPointTokenRequest(int? ValidHours);

/// <summary>Body of <c>POST /api/v1/distribution-points/register</c>: where agents reach the DP and how they trust it.</summary>
public sealed record DistributionPointRegistration(string? Id, string? Url, string? CertificateFingerprint);

/// <summary>
/// The registered DP, the site's manifest-signing public key (SubjectPublicKeyInfo, base64) when the site has one, and
/// the DP's credential (prefix <c>dcp_</c>, shown once; the site keeps its SHA-256), with which it polls the site.
/// </summary>
public sealed record DistributionPointRegistered(DistributionPointRecord DistributionPoint, string? SiteKey, string? Credential = null);
