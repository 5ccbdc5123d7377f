using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Deploycast.DistributionPoint.Hosting;

/// <summary>The HTTPS certificate: the one given, or a self-signed one made at first start and kept in the data directory.</summary>
public static class TlsCertificate
{
    public const string FileName = "tls.pfx";

    /// <summary>Loads the given certificate, or loads (or makes once) <c>tls.pfx</c> in <paramref name="dataDirectory"/>.</summary>
    public static X509Certificate2 LoadOrCreate(string dataDirectory, string? path, string? password, out bool created)
    {
        created = false;
        if (path is not null)
        {
            try
            {
                return X509CertificateLoader.LoadPkcs12FromFile(path, password);
            }
            catch (CryptographicException e)
            {
                throw new InvalidOperationException($"{DistributionPointOptions.Section}:{nameof(DistributionPointOptions.CertificatePath)}: cannot load '{path}': {e.Message}", e);
            }
        }

        var own = Path.Combine(dataDirectory, FileName);
        if (File.Exists(own))
        {
            try
            {
                return X509CertificateLoader.LoadPkcs12FromFile(own, password: null);
            }
            catch (CryptographicException e)
            {
                throw new InvalidOperationException($"the distribution point's certificate '{own}' cannot be read ({e.Message}); remove it to make a new one (clients that pinned the old fingerprint must then pin the new one)", e);
            }
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=Deploycast distribution point {Dns.GetHostName()}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName(Dns.GetHostName());
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
        var pfx = certificate.Export(X509ContentType.Pkcs12);
        Directory.CreateDirectory(dataDirectory);
        var temporary = own + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // the private key
        }

        using (var stream = new FileStream(temporary, fileOptions))
        {
            stream.Write(pfx);
        }

        File.Move(temporary, own, overwrite: true);
        created = true;
        return X509CertificateLoader.LoadPkcs12(pfx, password: null);
    }

    /// <summary>SHA-256 of the certificate, lowercase hex: what clients pin (<c>--fingerprint</c>).</summary>
    public static string Fingerprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(certificate.GetCertHash(HashAlgorithmName.SHA256));
    }
}
