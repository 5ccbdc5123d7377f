using Deploycast.Content.Library;

namespace Deploycast.Content.Tests.Library;

/// <summary>
/// A distribution point that registered with a site stores content with the site's signed manifest, unchanged: the
/// library checks the file against that manifest and the signature against a key it trusts, and never re-signs.
/// </summary>
public sealed class ContentLibrarySignedImportTests
{
    [Fact]
    public async Task ImportSigned_WithTheSitesManifest_StoresItUnchanged_AndIsValidOnceTheSiteKeyIsTrusted()
    {
        using var site = new TestLibrary();
        using var dp = new TestLibrary();
        var file = site.Temp.File("image.img");
        await File.WriteAllBytesAsync(file, RandomBytes(700_000, seed: 5));
        var signed = await site.Library.ImportAsync(file);

        var untrusted = await Assert.ThrowsAsync<ContentImportException>(() => dp.Library.ImportSignedAsync(file, signed.ManifestBytes, signed.Signature));
        Assert.Contains("does not verify", untrusted.Message, StringComparison.Ordinal);
        Assert.Empty(dp.ContentEntries());

        dp.Library.TrustKey(site.Key.PublicKeySpki);
        var stored = await dp.Library.ImportSignedAsync(file, signed.ManifestBytes, signed.Signature);

        Assert.Equal(ContentState.Valid, stored.State);
        Assert.Equal(signed.ManifestBytes, await File.ReadAllBytesAsync(dp.ItemFile(stored.ContentId, "manifest")));
        Assert.Equal(signed.Signature, await File.ReadAllBytesAsync(dp.ItemFile(stored.ContentId, "manifest.sig")));
        Assert.False(dp.Key.Verify(stored.ManifestBytes, stored.Signature));
        Assert.Equal(ContentState.Valid, Assert.Single((await dp.Library.ValidateAsync()).Items).State);

        // Opened again without trusting the site key (a DP that lost its site), the copy is not servable.
        dp.Reopen();
        Assert.Equal(ContentState.Corrupt, dp.Library.Get(stored.ContentId)!.State);
    }

    [Fact]
    public async Task ImportSigned_OfAFileThatIsNotWhatTheManifestDescribes_IsRefusedAndLeavesNothing()
    {
        using var site = new TestLibrary();
        using var dp = new TestLibrary();
        dp.Library.TrustKey(site.Key.PublicKeySpki);
        var bytes = RandomBytes(600_000, seed: 9);
        var file = site.Temp.File("image.img");
        await File.WriteAllBytesAsync(file, bytes);
        var signed = await site.Library.ImportAsync(file);

        bytes[400_000] ^= 1;
        var tampered = dp.Temp.File("tampered.img");
        await File.WriteAllBytesAsync(tampered, bytes);
        var refused = await Assert.ThrowsAsync<ContentImportException>(() => dp.Library.ImportSignedAsync(tampered, signed.ManifestBytes, signed.Signature));
        Assert.Contains("not the content its signed manifest describes", refused.Message, StringComparison.Ordinal);

        var forged = (byte[])signed.Signature.Clone();
        forged[10] ^= 1;
        var badSignature = await Assert.ThrowsAsync<ContentImportException>(() => dp.Library.ImportSignedAsync(file, signed.ManifestBytes, forged));
        Assert.Contains("does not verify", badSignature.Message, StringComparison.Ordinal);

        Assert.DoesNotContain(dp.ContentEntries(), File.Exists);
        Assert.Empty(dp.StagingEntries());
        Assert.Null(dp.Library.Get(signed.ContentId));
    }

    private static byte[] RandomBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
