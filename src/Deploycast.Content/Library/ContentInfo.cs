using System.Text.Json;
using System.Text.Json.Serialization;

namespace Deploycast.Content.Library;

/// <summary>
/// info.json: what the library records about a stored copy besides its manifest. The data file's length and
/// last-write time at the last good check let the library notice, without reading the file, that someone touched it.
/// </summary>
internal sealed record ContentInfo
{
    public required string ContentId { get; init; }

    public required long Size { get; init; }

    public required long ZeroBytes { get; init; }

    public required int BlockSize { get; init; }

    public required DateTimeOffset ImportedAt { get; init; }

    /// <summary>The file first imported (for the administrator; later imports of the same bytes do not change it).</summary>
    public string? ImportedFrom { get; init; }

    public required ContentState State { get; init; }

    /// <summary>When the data was last read in full: the import or a validation.</summary>
    public required DateTimeOffset CheckedAt { get; init; }

    /// <summary>Length of the data file at <see cref="CheckedAt"/>.</summary>
    public required long DataLength { get; init; }

    /// <summary>Last-write time (UTC) of the data file at <see cref="CheckedAt"/>.</summary>
    public required DateTime DataLastWriteUtc { get; init; }

    public string? Message { get; init; }

    public int[]? BadBlocks { get; init; }

    public int BadBlockCount { get; init; }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ContentInfoJsonContext.Default.ContentInfo);

    /// <summary>Reads info.json; null with a reason when it is missing or damaged.</summary>
    public static ContentInfo? TryRead(string path, out string? error)
    {
        try
        {
            var info = JsonSerializer.Deserialize(File.ReadAllBytes(path), ContentInfoJsonContext.Default.ContentInfo);
            error = info is null ? "info.json is empty" : null;
            return info;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            error = "info.json is missing";
            return null;
        }
        catch (JsonException e)
        {
            error = $"info.json is damaged ({e.Message})";
            return null;
        }
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ContentInfo))]
internal sealed partial class ContentInfoJsonContext : JsonSerializerContext;
