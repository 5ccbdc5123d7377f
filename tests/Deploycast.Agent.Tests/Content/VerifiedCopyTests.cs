using Deploycast.Agent.Content;
using static Deploycast.Agent.Tests.Content.ContentTestData;

namespace Deploycast.Agent.Tests.Content;

public sealed class VerifiedCopyTests
{
    [Fact]
    public async Task FileThatMatchesTheContentId_IsMarked_AndAChangeAfterwardsClearsTheMark()
    {
        using var folder = new TempFolder();
        var bytes = new byte[50_000];
        new Random(5).NextBytes(bytes);
        var content = PackageOf(bytes);
        var path = folder.File("image.img");
        await File.WriteAllBytesAsync(path, bytes);

        Assert.False(VerifiedCopy.IsMarked(path, content));
        Assert.True(await VerifiedCopy.CheckAndMarkAsync(path, content, null, CancellationToken.None));
        Assert.True(VerifiedCopy.IsMarked(path, content));

        await File.AppendAllTextAsync(path, "x");
        Assert.False(VerifiedCopy.IsMarked(path, content));
    }

    [Fact]
    public async Task FileWithOtherBytes_IsNotMarked()
    {
        using var folder = new TempFolder();
        var bytes = new byte[50_000];
        var content = PackageOf(bytes);
        bytes[49_999] = 1;
        var path = folder.File("image.img");
        await File.WriteAllBytesAsync(path, bytes);

        Assert.False(await VerifiedCopy.CheckAndMarkAsync(path, content, null, CancellationToken.None));
        Assert.False(File.Exists(VerifiedCopy.MarkerPath(path)));
    }

    [Fact]
    public async Task PartialDownload_WithABlockMap_IsNeverTakenAsComplete()
    {
        using var folder = new TempFolder();
        var bytes = new byte[50_000];
        var content = PackageOf(bytes);
        var path = folder.File("image.img");
        await File.WriteAllBytesAsync(path, bytes);
        await File.WriteAllBytesAsync(path + ".dcmap", [1, 2, 3]);

        Assert.False(await VerifiedCopy.CheckAndMarkAsync(path, content, null, CancellationToken.None));
    }
}
