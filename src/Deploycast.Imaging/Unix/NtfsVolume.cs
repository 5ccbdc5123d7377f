namespace Deploycast.Imaging.Unix;

/// <summary>Recognises a volume formatted with NTFS by its boot sector, whose OEM id at offset 3 is "NTFS    ".</summary>
internal static class NtfsVolume
{
    private static ReadOnlySpan<byte> OemId => "NTFS    "u8;

    public static bool HasNtfsBootSector(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            Span<byte> sector = stackalloc byte[11];
            return RandomAccess.Read(handle, sector, 0) == sector.Length && sector[3..].SequenceEqual(OemId);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
