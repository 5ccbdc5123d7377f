using System.Text.Json;

namespace Deploycast.Server;

/// <summary>
/// What a distribution point keeps of its registration with a site, in <c>site-registration.json</c> in its data
/// directory (mode 0600, like the site key: the credential lets it fetch any package the site distributes to it), so it
/// goes on polling after a restart without a registration token.
/// </summary>
/// <param name="Site">The site server's address.</param>
/// <param name="SiteFingerprint">The site certificate's SHA-256 it pins, or null for normal TLS validation.</param>
/// <param name="DistributionPointId">Its name in the site.</param>
/// <param name="Credential">The credential it polls with.</param>
/// <param name="SiteKeyFingerprint">SHA-256 of the site's manifest-signing key.</param>
public sealed record SavedSiteRegistration(Uri Site, string? SiteFingerprint, string DistributionPointId, string Credential, string? SiteKeyFingerprint)
{
    public const string FileName = "site-registration.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Writes the file (replacing an earlier registration) readable by its owner only.</summary>
    public void Save(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(file, this, Json);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The saved registration, or null when the DP never registered.</summary>
    /// <exception cref="InvalidOperationException">The file exists but cannot be read; the message names it.</exception>
    public static SavedSiteRegistration? Load(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<SavedSiteRegistration>(File.ReadAllText(path), Json)
                ?? throw new InvalidOperationException($"{path} is empty; delete it and register again (--register-with).");
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{path} cannot be read ({e.Message}); delete it and register again (--register-with).", e);
        }
    }
}
