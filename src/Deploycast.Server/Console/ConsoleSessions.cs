using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Deploycast.Server.Console;

/// <summary>
/// Signed-in web console sessions: a random 256-bit session id per sign-in, kept only as its SHA-256 in memory (a
/// restart signs every console out; the administrator token itself never goes into a cookie). A session ends at
/// sign-out, or after <see cref="IdleTimeout"/> without a request, or <see cref="MaximumLifetime"/> after sign-in.
/// </summary>
internal sealed class ConsoleSessions(TimeProvider time)
{
    /// <summary>A console left alone this long is signed out: 8 hours, a working day.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromHours(8);

    /// <summary>However busy, a sign-in lasts at most this long: 7 days.</summary>
    public static readonly TimeSpan MaximumLifetime = TimeSpan.FromDays(7);

    private readonly ConcurrentDictionary<string, Entry> _sessions = new(StringComparer.Ordinal);

    /// <summary>Starts a session and returns its id, for the cookie.</summary>
    public string Create()
    {
        var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = time.GetUtcNow();
        Purge(now);
        _sessions[Hash(id)] = new Entry(now) { LastUsed = now };
        return id;
    }

    /// <summary>Whether <paramref name="id"/> is a live session; a valid one counts as used now.</summary>
    public bool Validate(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 128)
        {
            return false;
        }

        var key = Hash(id);
        if (!_sessions.TryGetValue(key, out var entry))
        {
            return false;
        }

        var now = time.GetUtcNow();
        if (now - entry.LastUsed > IdleTimeout || now - entry.Created > MaximumLifetime)
        {
            _sessions.TryRemove(key, out _);
            return false;
        }

        entry.LastUsed = now;
        return true;
    }

    /// <summary>Ends a session (sign-out).</summary>
    public void Remove(string? id)
    {
        if (!string.IsNullOrEmpty(id) && id.Length <= 128)
        {
            _sessions.TryRemove(Hash(id), out _);
        }
    }

    private void Purge(DateTimeOffset now)
    {
        foreach (var (key, entry) in _sessions)
        {
            if (now - entry.LastUsed > IdleTimeout || now - entry.Created > MaximumLifetime)
            {
                _sessions.TryRemove(key, out _);
            }
        }
    }

    private static string Hash(string id) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(id)));

    private sealed class Entry(DateTimeOffset created)
    {
        public DateTimeOffset Created { get; } = created;

        public DateTimeOffset LastUsed { get; set; }
    }
}
