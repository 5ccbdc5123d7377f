using System.Net.Security;
using System.Security.Cryptography;

namespace Deploycast.Client;

/// <summary>
/// Trust for Deploycast's self-signed HTTPS certificates: a server is trusted when the SHA-256 of its certificate
/// equals the fingerprint it printed at start. Without a fingerprint, normal TLS validation applies.
/// </summary>
public static class CertificatePinning
{
    /// <summary>
    /// Normalizes a fingerprint as people paste it (upper or lower case, with or without colons) to 64 lowercase hex
    /// digits; null stays null.
    /// </summary>
    /// <exception cref="ArgumentException">The text is not a SHA-256 in hex.</exception>
    public static string? Normalize(string? fingerprint, string parameterName = "fingerprint")
    {
        var pinned = fingerprint?.Trim().Replace(":", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
        if (pinned is not null && (pinned.Length != 64 || !pinned.All(Uri.IsHexDigit)))
        {
            throw new ArgumentException($"the fingerprint must be 64 hex digits (the SHA-256 the server printed), not '{fingerprint}'", parameterName);
        }

        return pinned;
    }

    /// <summary>
    /// A handler that trusts the server whose certificate has the fingerprint <paramref name="pinned"/> (already
    /// normalized), or validates normally when it is null. <paramref name="presented"/> hears the fingerprint of every
    /// certificate a server presents, so a caller can say which one it got when the pin does not match.
    /// </summary>
    public static SocketsHttpHandler CreateHandler(string? pinned, Action<string>? presented = null) => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                var fingerprint = certificate is null ? null : Convert.ToHexStringLower(SHA256.HashData(certificate.GetRawCertData()));
                if (fingerprint is not null)
                {
                    presented?.Invoke(fingerprint);
                }

                return pinned is null ? errors == SslPolicyErrors.None : fingerprint == pinned;
            },
        },
    };
}
