using System.Security.Cryptography;

namespace Deploycast.Content.Signing;

/// <summary>Checks a manifest signature for a client that knows only the site's published public key.</summary>
public static class ManifestSignature
{
    /// <summary>
    /// True when <paramref name="signature"/> (64 bytes r || s, IEEE P1363) is an ECDSA P-256 / SHA-256 signature of
    /// <paramref name="manifestBytes"/> by the key in <paramref name="publicKeySpki"/> (DER SubjectPublicKeyInfo, as
    /// <see cref="SiteKey.PublicKeySpki"/> publishes it). False, never an exception, for a malformed key or signature:
    /// either way the manifest must not be trusted.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> publicKeySpki, ReadOnlySpan<byte> manifestBytes, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SiteKey.SignatureSize)
        {
            return false;
        }

        using var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(publicKeySpki, out var read);
            var curve = key.ExportParameters(includePrivateParameters: false).Curve;
            if (read != publicKeySpki.Length || !curve.IsNamed || curve.Oid.Value != SiteKey.P256Oid)
            {
                return false;
            }

            return key.VerifyData(manifestBytes, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
