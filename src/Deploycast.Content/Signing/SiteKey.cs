using System.Security.Cryptography;
using System.Text;
using Deploycast.Content.Storage;
using Microsoft.Extensions.Logging;

namespace Deploycast.Content.Signing;

/// <summary>
/// The site's ECDSA P-256 signing key. It signs every manifest the content library stores, so a client that
/// knows only the published public key (<see cref="PublicKeySpki"/> or <see cref="PublicKeyPem"/>) can tell a
/// manifest the site made from one that was changed or forged.
/// </summary>
/// <remarks>
/// Signatures are ECDSA over the SHA-256 of the signed bytes, in IEEE P1363 form: the fixed-size concatenation
/// r || s, each a 32-byte big-endian integer, 64 bytes in all (not the DER SEQUENCE that OpenSSL's command line
/// produces). Verify them with <see cref="ManifestSignature.Verify"/>. Instances are safe to share between threads.
/// </remarks>
public sealed class SiteKey : IDisposable
{
    /// <summary>Name of the key file in the directory given to <see cref="LoadOrCreate"/>.</summary>
    public const string FileName = "site-key.pem";

    /// <summary>Bytes in a signature: r || s, 32 bytes each.</summary>
    public const int SignatureSize = 64;

    internal const string P256Oid = "1.2.840.10045.3.1.7";
    private const string PrivateKeyLabel = "PRIVATE KEY";

    private readonly ECDsa _key;
    private readonly byte[] _publicKeySpki;

    // The OpenSSL-backed ECDsa does not promise thread safety; signing and verifying are rare (once per import or
    // manifest load) and fast, so one lock costs nothing.
    private readonly Lock _lock = new();
    private bool _disposed;

    private SiteKey(ECDsa key, string path)
    {
        _key = key;
        KeyPath = path;
        _publicKeySpki = key.ExportSubjectPublicKeyInfo();
        PublicKeyPem = key.ExportSubjectPublicKeyInfoPem();
        Fingerprint = Convert.ToHexStringLower(SHA256.HashData(_publicKeySpki));
    }

    /// <summary>Full path of the key file.</summary>
    public string KeyPath { get; }

    /// <summary>The public key as DER SubjectPublicKeyInfo: what clients are given to verify manifests. A copy.</summary>
    public byte[] PublicKeySpki => (byte[])_publicKeySpki.Clone();

    /// <summary>The public key as PEM ("-----BEGIN PUBLIC KEY-----").</summary>
    public string PublicKeyPem { get; }

    /// <summary>Lowercase hex SHA-256 of <see cref="PublicKeySpki"/>: how administrators tell keys apart.</summary>
    public string Fingerprint { get; }

    /// <summary>
    /// Loads <c>site-key.pem</c> from <paramref name="directory"/>, or creates it there at first start (the directory
    /// too). A new file holds the private key as PKCS#8 PEM, readable and writable by its owner only (0600), and
    /// appears atomically (written to a temporary file, then renamed).
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The file exists but is not an ECDSA P-256 private key. It is never replaced by a new key: every manifest the
    /// site signed would stop verifying.
    /// </exception>
    public static SiteKey LoadOrCreate(string directory, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var path = Path.Combine(Path.GetFullPath(directory), FileName);
        if (!File.Exists(path))
        {
            DurableFile.CreateDirectory(Path.GetDirectoryName(path)!);
            var created = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var pem = Encoding.ASCII.GetBytes(created.ExportPkcs8PrivateKeyPem());
            if (DurableFile.TryCreate(path, pem))
            {
                var key = new SiteKey(created, path);
                if (logger is not null)
                {
                    ContentLog.SiteKeyCreated(logger, path, key.Fingerprint);
                }

                return key;
            }

            // Another process created it between our look and our rename: its key is the site key.
            created.Dispose();
        }

        var loaded = Load(path);
        if (logger is not null)
        {
            ContentLog.SiteKeyLoaded(logger, path, loaded.Fingerprint);
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~DurableFile.OwnerOnly) != 0)
            {
                ContentLog.SiteKeyReadableByOthers(logger, path, File.GetUnixFileMode(path));
            }
        }

        return loaded;
    }

    private static SiteKey Load(string path)
    {
        string text;
        try
        {
            var info = new FileInfo(path);

            // A real key file is a few hundred bytes; refuse to read something huge put there by mistake.
            if (info.Length > 64 * 1024)
            {
                throw Damaged(path, $"it holds {info.Length:N0} bytes", null);
            }

            text = File.ReadAllText(path, Encoding.ASCII);
        }
        catch (Exception e) when (e is IOException and not FileNotFoundException)
        {
            throw Damaged(path, e.Message, e);
        }

        if (!PemEncoding.TryFind(text, out var fields))
        {
            throw Damaged(path, "it holds no PEM block", null);
        }

        var label = text.AsSpan()[fields.Label];
        if (!label.SequenceEqual(PrivateKeyLabel))
        {
            throw Damaged(path, $"its PEM block is \"{label}\", not \"{PrivateKeyLabel}\" (PKCS#8)", null);
        }

        var der = new byte[fields.DecodedDataLength];
        if (!Convert.TryFromBase64Chars(text.AsSpan()[fields.Base64Data], der, out var written) || written != der.Length)
        {
            throw Damaged(path, "its PEM block is not valid base64", null);
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(der, out var read);
            if (read != der.Length)
            {
                throw Damaged(path, "bytes follow the PKCS#8 key", null);
            }

            var curve = key.ExportParameters(includePrivateParameters: false).Curve;
            if (!curve.IsNamed || curve.Oid.Value != P256Oid)
            {
                throw Damaged(path, $"it is an ECDSA key on curve {curve.Oid.FriendlyName ?? curve.Oid.Value ?? "(explicit)"}, not P-256", null);
            }

            return new SiteKey(key, path);
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw Damaged(path, $"it is not an ECDSA private key ({e.Message})", e);
        }
        catch
        {
            key.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    private static InvalidDataException Damaged(string path, string reason, Exception? inner) => new(
        $"The site key file '{path}' is damaged: {reason}. It was left as it is, because a new site key would " +
        "invalidate every signed manifest. Restore it from a backup; or move it away to let the server create a new " +
        "key, then re-import the content (validation reports all content signed with the old key as corrupt).",
        inner);

    /// <summary>
    /// Signs <paramref name="data"/>: ECDSA P-256 over its SHA-256, returned as 64 bytes r || s (IEEE P1363).
    /// </summary>
    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
    }

    /// <summary>True when <paramref name="signature"/> is this key's signature of <paramref name="data"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureSize)
        {
            return false;
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
    }

    /// <summary>Releases the key.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _disposed = true;
                _key.Dispose();
            }
        }
    }
}
