using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;

namespace Deploycast.DistributionPoint.Sessions;

/// <summary>The scheduler's record of one session; guarded by the scheduler's lock.</summary>
internal sealed class ScheduledSession(
    string key,
    string contentKey,
    PackageContentRef content,
    int tier,
    GroupLease lease,
    IPAddress networkInterface,
    long? maxRate,
    DateTimeOffset created)
{
    private readonly HashSet<uint> _usedReceiverIds = [];

    public string Key { get; } = key;
    public string ContentKey { get; } = contentKey;
    public PackageContentRef Content { get; } = content;
    public int Tier { get; } = tier;
    public GroupLease Lease { get; } = lease;
    public IPEndPoint Group { get; } = lease.Group;
    public IPAddress Interface { get; } = networkInterface;
    public long? MaxRate { get; } = maxRate;
    public DateTimeOffset Created { get; } = created;

    /// <summary>A fresh key per session, so one session's key reveals nothing about another's.</summary>
    public byte[]? EncryptionKey { get; } = content.EncryptMulticast ? RandomNumberGenerator.GetBytes(32) : null;

    public MulticastSessionState State { get; set; } = MulticastSessionState.Waiting;
    public IMulticastSession? Session { get; set; }
    public uint SessionId { get; set; }
    public DateTimeOffset? Started { get; set; }
    public DateTimeOffset? Ended { get; set; }
    public string? Failure { get; set; }
    public double? Rate { get; set; }

    /// <summary>Bytes the sender has put on the wire (headers included), from its latest report.</summary>
    public long BytesOnWire { get; set; }

    /// <summary>The later of the last request for this session and the last client to finish; idle time counts from it.</summary>
    public DateTimeOffset LastActivity { get; set; } = created;

    public int ActiveClients { get; set; }

    /// <summary>Clients by id, in the order they came (nothing is ever removed, so the order holds).</summary>
    public Dictionary<string, SessionClient> Clients { get; } = new(StringComparer.OrdinalIgnoreCase);

    public Dictionary<uint, SessionClient> ByReceiver { get; } = [];

    /// <summary>
    /// A random, nonzero id never used before in this session: a receiver that rejoins gets a new one, so late events
    /// about its earlier receiver cannot be taken for the new one; random, so that receivers of an earlier session
    /// on the same group do not match by chance.
    /// </summary>
    public uint NewReceiverId()
    {
        Span<byte> random = stackalloc byte[4];
        while (true)
        {
            RandomNumberGenerator.Fill(random);
            var id = BinaryPrimitives.ReadUInt32LittleEndian(random);
            if (id != 0 && _usedReceiverIds.Add(id))
            {
                return id;
            }
        }
    }

    public SessionClient AddClient(string clientId, SessionClientState state, DateTimeOffset now)
    {
        var client = new SessionClient(clientId, NewReceiverId(), state, now);
        Clients.Add(clientId, client);
        ByReceiver.Add(client.ReceiverId, client);
        return client;
    }

    /// <summary>Gives a returning client (done with an earlier attempt) a fresh receiver and start.</summary>
    /// <remarks>The caller sets the new state, so that the scheduler counts the client as active again.</remarks>
    public void Rejoin(SessionClient client, DateTimeOffset now)
    {
        ByReceiver.Remove(client.ReceiverId);
        client.ReceiverId = NewReceiverId();
        ByReceiver.Add(client.ReceiverId, client);
        client.AssignedAt = now;
        client.JoinedAt = null;
        client.CompletedAt = null;
        client.Progress = 0;
        client.Rate = null;
        client.Loss = 0;
        client.FellBack = false;
        client.MovedToTier = null;
        client.Told = false;
        client.Detail = null;
    }

    public SessionSnapshot ToSnapshot() => new(
        Key,
        SessionId,
        Content.PackageId,
        Content.Version,
        Content.ContentId,
        Tier,
        Group.Address.ToString(),
        Group.Port,
        Interface.ToString(),
        State,
        EncryptionKey is not null,
        MaxRate,
        Rate,
        Created,
        Started,
        Ended,
        Failure,
        Clients.Values.Select(c => c.ToSnapshot()).ToArray())
    {
        BytesOnWire = BytesOnWire,
    };
}

/// <summary>One client in one session; guarded by the scheduler's lock.</summary>
internal sealed class SessionClient(string clientId, uint receiverId, SessionClientState state, DateTimeOffset assignedAt)
{
    public string ClientId { get; } = clientId;
    public uint ReceiverId { get; set; } = receiverId;
    public SessionClientState State { get; set; } = state;
    public DateTimeOffset AssignedAt { get; set; } = assignedAt;
    public DateTimeOffset? JoinedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public double Progress { get; set; }
    public double? Rate { get; set; }
    public double Loss { get; set; }
    public bool FellBack { get; set; }
    public int? MovedToTier { get; set; }

    /// <summary>Whether it has been given its Join decision (the join status message goes out once).</summary>
    public bool Told { get; set; }

    public string? Detail { get; set; }

    public bool IsActive => IsActiveState(State);

    public static bool IsActiveState(SessionClientState state) =>
        state is SessionClientState.Waiting or SessionClientState.Joined or SessionClientState.Receiving or SessionClientState.Slow;

    public SessionClientSnapshot ToSnapshot() =>
        new(ClientId, ReceiverId, State, Progress, Rate, Loss, AssignedAt, JoinedAt, CompletedAt, FellBack, MovedToTier, Detail);
}
