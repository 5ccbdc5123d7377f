using System.Security.Cryptography;
using System.Text;
using Deploycast.DistributionPoint.Storage;

namespace Deploycast.DistributionPoint.Hosting;

/// <summary>Who may do what: the administrator token and the client token, kept only as SHA-256 hashes.</summary>
public sealed class AccessTokens
{
    private const string AdminName = "admin-token-sha256";
    private const string ClientName = "client-token-sha256";

    private readonly byte[] _adminHash;
    private readonly byte[] _clientHash;

    private AccessTokens(byte[] adminHash, byte[] clientHash)
    {
        _adminHash = adminHash;
        _clientHash = clientHash;
    }

    /// <summary>Tokens made at this start (null when they existed already or were given): shown once.</summary>
    public string? NewAdminToken { get; private init; }

    public string? NewClientToken { get; private init; }

    /// <summary>Loads the stored hashes; makes a token that is neither stored nor given, or stores the given one.</summary>
    public static AccessTokens LoadOrCreate(IDistributionPointStore store, string? adminToken, string? clientToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var (adminHash, newAdmin) = Resolve(store, AdminName, adminToken);
        var (clientHash, newClient) = Resolve(store, ClientName, clientToken);
        return new AccessTokens(adminHash, clientHash) { NewAdminToken = newAdmin, NewClientToken = newClient };
    }

    public bool IsAdmin(string? token) => Matches(token, _adminHash);

    /// <summary>The admin token is a client token too: an administrator may do what a client does.</summary>
    public bool IsClient(string? token) => Matches(token, _clientHash) || Matches(token, _adminHash);

    private static (byte[] Hash, string? Created) Resolve(IDistributionPointStore store, string name, string? given)
    {
        if (given is not null)
        {
            var hash = Hash(given);
            store.SetSecret(name, Convert.ToHexStringLower(hash));
            return (hash, null);
        }

        if (store.GetSecret(name) is { } stored)
        {
            return (Convert.FromHexString(stored), null);
        }

        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        var created = Hash(token);
        store.SetSecret(name, Convert.ToHexStringLower(created));
        return (created, token);
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static bool Matches(string? token, byte[] hash) =>
        !string.IsNullOrEmpty(token) && CryptographicOperations.FixedTimeEquals(Hash(token), hash);
}
