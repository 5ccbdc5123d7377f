using System.Security.Cryptography;
using System.Text;
using Deploycast.Content.Signing;

namespace Deploycast.Content.Tests.Signing;

public sealed class SiteKeyTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string KeyDirectory => _temp.File("keys");

    private string KeyPath => Path.Combine(KeyDirectory, SiteKey.FileName);

    [Fact]
    public void LoadOrCreate_AtFirstStart_CreatesPkcs8PemReadableByTheOwnerOnly()
    {
        using var key = SiteKey.LoadOrCreate(KeyDirectory);

        Assert.Equal(KeyPath, key.KeyPath);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(KeyPath), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyPath));
        }

        // Written to a temporary file and renamed: nothing else is left in the directory.
        Assert.Equal([KeyPath], Directory.GetFiles(KeyDirectory));
    }

    [Fact]
    public void LoadOrCreate_SecondTime_LoadsTheSameKey()
    {
        string fingerprint;
        byte[] signature;
        var data = "manifest"u8.ToArray();
        using (var first = SiteKey.LoadOrCreate(KeyDirectory))
        {
            fingerprint = first.Fingerprint;
            signature = first.Sign(data);
        }

        var fileBefore = File.ReadAllBytes(KeyPath);
        using var second = SiteKey.LoadOrCreate(KeyDirectory);
        Assert.Equal(fingerprint, second.Fingerprint);
        Assert.True(ManifestSignature.Verify(second.PublicKeySpki, data, signature));
        Assert.Equal(fileBefore, File.ReadAllBytes(KeyPath));
    }

    [Fact]
    public async Task LoadOrCreate_ByManyAtOnce_GivesEveryoneTheOneKeyOnDisk()
    {
        const int starters = 8;
        using var barrier = new Barrier(starters);
        var keys = await Task.WhenAll(Enumerable.Range(0, starters).Select(_ => Task.Factory.StartNew(() =>
        {
            barrier.SignalAndWait();
            return SiteKey.LoadOrCreate(KeyDirectory);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

        using var onDisk = SiteKey.LoadOrCreate(KeyDirectory);
        Assert.All(keys, k => Assert.Equal(onDisk.Fingerprint, k.Fingerprint));
        Assert.Equal([KeyPath], Directory.GetFiles(KeyDirectory));
        foreach (var key in keys)
        {
            key.Dispose();
        }
    }

    [Fact]
    public void LoadOrCreate_InAnotherDirectory_CreatesAnotherKey()
    {
        using var first = SiteKey.LoadOrCreate(KeyDirectory);
        using var second = SiteKey.LoadOrCreate(_temp.File("other"));
        Assert.NotEqual(first.Fingerprint, second.Fingerprint);
    }

    [Theory]
    [InlineData("not a key at all")]
    [InlineData("")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")]
    public void LoadOrCreate_WithDamagedKeyFile_FailsNamingThePathAndLeavesTheFileAlone(string content)
    {
        Directory.CreateDirectory(KeyDirectory);
        File.WriteAllText(KeyPath, content);

        var error = Assert.Throws<InvalidDataException>(() => SiteKey.LoadOrCreate(KeyDirectory));

        Assert.Contains(KeyPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("damaged", error.Message, StringComparison.Ordinal);
        Assert.Equal(content, File.ReadAllText(KeyPath));
    }

    [Fact]
    public void LoadOrCreate_WithTruncatedKeyFile_FailsNamingThePath()
    {
        using (SiteKey.LoadOrCreate(KeyDirectory))
        {
        }

        var pem = File.ReadAllText(KeyPath);
        File.WriteAllText(KeyPath, pem[..(pem.Length / 2)]);

        var error = Assert.Throws<InvalidDataException>(() => SiteKey.LoadOrCreate(KeyDirectory));
        Assert.Contains(KeyPath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadOrCreate_WithPublicKeyOnly_SaysItIsNotAPrivateKey()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Directory.CreateDirectory(KeyDirectory);
        File.WriteAllText(KeyPath, other.ExportSubjectPublicKeyInfoPem());

        var error = Assert.Throws<InvalidDataException>(() => SiteKey.LoadOrCreate(KeyDirectory));
        Assert.Contains("PUBLIC KEY", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadOrCreate_WithKeyOnAnotherCurve_SaysItIsNotP256()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Directory.CreateDirectory(KeyDirectory);
        File.WriteAllText(KeyPath, other.ExportPkcs8PrivateKeyPem());

        var error = Assert.Throws<InvalidDataException>(() => SiteKey.LoadOrCreate(KeyDirectory));
        Assert.Contains("not P-256", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fingerprint_IsLowercaseHexSha256OfThePublishedSpki()
    {
        using var key = SiteKey.LoadOrCreate(KeyDirectory);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(key.PublicKeySpki)), key.Fingerprint);
        Assert.Matches("^[0-9a-f]{64}$", key.Fingerprint);
        using var fromPem = ECDsa.Create();
        fromPem.ImportFromPem(key.PublicKeyPem);
        Assert.Equal(key.PublicKeySpki, fromPem.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void Sign_MakesA64ByteP1363SignatureThatVerifiesWithThePublishedKey()
    {
        using var key = SiteKey.LoadOrCreate(KeyDirectory);
        var manifest = RandomNumberGenerator.GetBytes(5000);

        var signature = key.Sign(manifest);

        Assert.Equal(64, signature.Length);
        Assert.True(ManifestSignature.Verify(key.PublicKeySpki, manifest, signature));
        Assert.True(key.Verify(manifest, signature));

        // A client holding only the PEM gets the same answer with the BCL.
        using var client = ECDsa.Create();
        client.ImportFromPem(key.PublicKeyPem);
        Assert.True(client.VerifyData(manifest, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public void Verify_FailsForAChangedManifestByte()
    {
        using var key = SiteKey.LoadOrCreate(KeyDirectory);
        var manifest = RandomNumberGenerator.GetBytes(5000);
        var signature = key.Sign(manifest);

        manifest[1234] ^= 0x01;

        Assert.False(ManifestSignature.Verify(key.PublicKeySpki, manifest, signature));
        Assert.False(key.Verify(manifest, signature));
    }

    [Fact]
    public void Verify_FailsForAnotherSitesKey()
    {
        using var key = SiteKey.LoadOrCreate(KeyDirectory);
        using var other = SiteKey.LoadOrCreate(_temp.File("other"));
        var manifest = RandomNumberGenerator.GetBytes(500);

        Assert.False(ManifestSignature.Verify(other.PublicKeySpki, manifest, key.Sign(manifest)));
    }

    [Fact]
    public void Verify_WithMalformedKeyOrSignature_ReturnsFalseWithoutThrowing()
    {
        using var key = SiteKey.LoadOrCreate(KeyDirectory);
        var manifest = Encoding.ASCII.GetBytes("manifest");
        var signature = key.Sign(manifest);
        var spki = key.PublicKeySpki;

        Assert.False(ManifestSignature.Verify(spki.AsSpan(0, spki.Length - 1), manifest, signature));
        Assert.False(ManifestSignature.Verify([1, 2, 3], manifest, signature));
        Assert.False(ManifestSignature.Verify(spki, manifest, signature.AsSpan(0, 63)));
        Assert.False(ManifestSignature.Verify(spki, manifest, []));

        // The DER form that "openssl dgst -sign" makes is not the documented format.
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signerSpki = signer.ExportSubjectPublicKeyInfo();
        Assert.True(ManifestSignature.Verify(signerSpki, manifest, signer.SignData(manifest, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)));
        Assert.False(ManifestSignature.Verify(signerSpki, manifest, signer.SignData(manifest, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)));
        var flipped = (byte[])signature.Clone();
        flipped[10] ^= 0x80;
        Assert.False(ManifestSignature.Verify(spki, manifest, flipped));
    }

    public void Dispose() => _temp.Dispose();
}
