namespace Deploycast.Imaging.Tests;

/// <summary>Builds the directory tree the tests capture, and compares two trees the way a user would check them.</summary>
internal static class SourceTree
{
    /// <summary>
    /// Nested directories, a few MB of random data, small text files, an empty file, an empty directory and a
    /// relative symbolic link. Returns the total bytes of the regular files.
    /// </summary>
    public static long Build(string root, int seed = 1, int randomMegabytes = 3)
    {
        var random = new Random(seed);
        Directory.CreateDirectory(Path.Combine(root, "Windows", "System32", "drivers"));
        Directory.CreateDirectory(Path.Combine(root, "Users", "Public", "Documents"));
        Directory.CreateDirectory(Path.Combine(root, "EmptyFolder"));
        var random1 = new byte[randomMegabytes << 20];
        random.NextBytes(random1);
        File.WriteAllBytes(Path.Combine(root, "Windows", "System32", "ntoskrnl.bin"), random1);
        var random2 = new byte[(1 << 20) + 12345]; // not a multiple of any chunk size
        random.NextBytes(random2);
        File.WriteAllBytes(Path.Combine(root, "Windows", "System32", "drivers", "disk.sys"), random2);
        File.WriteAllText(Path.Combine(root, "Users", "Public", "Documents", "readme.txt"), "Deployed by Deploycast\n");
        File.WriteAllText(Path.Combine(root, "Windows", "win.ini"), string.Concat(Enumerable.Repeat("[fonts]\n[extensions]\n", 500)));
        File.WriteAllBytes(Path.Combine(root, "empty.dat"), []);
        File.CreateSymbolicLink(Path.Combine(root, "readme-link.txt"), "Users/Public/Documents/readme.txt");
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(path => new FileInfo(path))
            .Where(info => info.LinkTarget is null)
            .Sum(info => info.Length);
    }

    /// <summary>Same entries, same kinds, same link targets, same bytes in every file.</summary>
    public static void AssertEqual(string expectedRoot, string actualRoot)
    {
        var expected = Entries(expectedRoot);
        var actual = Entries(actualRoot);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (relative, expectedInfo) in expected)
        {
            var actualInfo = actual[relative];
            Assert.Equal(expectedInfo.LinkTarget, actualInfo.LinkTarget);
            Assert.Equal(expectedInfo is DirectoryInfo, actualInfo is DirectoryInfo);
            if (expectedInfo is FileInfo file && file.LinkTarget is null)
            {
                Assert.True(File.ReadAllBytes(file.FullName).AsSpan().SequenceEqual(File.ReadAllBytes(actualInfo.FullName)), $"{relative} differs");
            }
        }
    }

    private static Dictionary<string, FileSystemInfo> Entries(string root) =>
        new DirectoryInfo(root)
            .EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .ToDictionary(info => Path.GetRelativePath(root, info.FullName), StringComparer.Ordinal);
}
