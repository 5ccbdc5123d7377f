using Deploycast.Content.Library;
using Deploycast.Content.Signing;

namespace Deploycast.Content.Tests;

/// <summary>A temporary directory with a site key and a content library in it.</summary>
internal sealed class TestLibrary : IDisposable
{
    public TestLibrary(int blockSize = ContentLibraryOptions.DefaultBlockSize)
    {
        Key = SiteKey.LoadOrCreate(Temp.File("key"));
        BlockSize = blockSize;
        Library = Open();
    }

    public TempDirectory Temp { get; } = new();

    public SiteKey Key { get; }

    public int BlockSize { get; }

    public ContentLibrary Library { get; private set; }

    public string Root => Temp.File("library");

    public ContentLibrary Open() => new(new ContentLibraryOptions { Root = Root, BlockSize = BlockSize }, Key);

    public void Reopen()
    {
        Library.Dispose();
        Library = Open();
    }

    public string ItemFile(string contentId, string name) => Path.Combine(Root, "content", contentId[..2], contentId, name);

    public string[] StagingEntries() => Directory.GetFileSystemEntries(Path.Combine(Root, "staging"));

    public string[] ContentEntries() => Directory.GetFileSystemEntries(Path.Combine(Root, "content"), "*", SearchOption.AllDirectories);

    public void Dispose()
    {
        Library.Dispose();
        Key.Dispose();
        Temp.Dispose();
    }
}

/// <summary>Records reports as they are made (Progress&lt;T&gt; would post them to the thread pool, out of order).</summary>
internal sealed class RecordingProgress(Action<ImportProgress>? onReport = null) : IProgress<ImportProgress>
{
    public List<ImportProgress> Reports { get; } = [];

    public void Report(ImportProgress value)
    {
        lock (Reports)
        {
            Reports.Add(value);
        }

        onReport?.Invoke(value);
    }
}
