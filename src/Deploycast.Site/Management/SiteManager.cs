using Deploycast.Site.Model;
using Deploycast.Site.Storage;
using Microsoft.Extensions.Logging;

namespace Deploycast.Site.Management;

/// <summary>
/// The site server's management operations: every check on what an administrator, an agent or a DP asks for, then the
/// store. The REST API and tests call this; it is safe to use from several threads.
/// </summary>
public sealed partial class SiteManager
{
    private readonly ISiteStore _store;
    private readonly IContentDistributor? _distributor;
    private readonly IImageInspector? _inspector;
    private readonly SiteOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public SiteManager(
        ISiteStore store,
        SiteOptions options,
        IContentDistributor? distributor,
        IImageInspector? inspector,
        TimeProvider time,
        ILogger<SiteManager> logger)
    {
        _store = store;
        _options = options;
        _distributor = distributor;
        _inspector = inspector;
        _time = time;
        _logger = logger;
    }

    /// <summary>The site database.</summary>
    public ISiteStore Store => _store;

    private DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Creates or upgrades the schema and the built-in collections.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _store.MigrateAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (id, name, description) in new[]
        {
            (Identifiers.AllSystems, "All Systems", "Every device the site knows."),
            (Identifiers.AllUnknownComputers, "All Unknown Computers", "Devices that registered without having been imported, for bare-metal deployments."),
        })
        {
            if (await _store.GetCollectionAsync(id, cancellationToken).ConfigureAwait(false) is null)
            {
                try
                {
                    await _store.AddCollectionAsync(new Collection(id, name, description, [], Now), cancellationToken).ConfigureAwait(false);
                }
                catch (SiteStoreConflictException)
                {
                    // Another server sharing the database made it first.
                }
            }
        }

    }

    /// <summary>Records the DP role of this process (its address is known once the server listens).</summary>
    public async Task SaveLocalDistributionPointAsync(CancellationToken cancellationToken)
    {
        if (_distributor is null)
        {
            return;
        }

        var (url, fingerprint) = _distributor.Endpoint;
        var existing = await _store.GetDistributionPointAsync(_distributor.DistributionPointId, cancellationToken).ConfigureAwait(false);
        await _store.SaveDistributionPointAsync(
            new DistributionPointRecord(_distributor.DistributionPointId, url, fingerprint, IsLocal: true, existing?.Registered ?? Now, Now),
            cancellationToken).ConfigureAwait(false);
    }

    private static bool IsBuiltIn(string collectionId) =>
        string.Equals(collectionId, Identifiers.AllSystems, StringComparison.OrdinalIgnoreCase)
        || string.Equals(collectionId, Identifiers.AllUnknownComputers, StringComparison.OrdinalIgnoreCase);

    private static Page CheckPage(int? skip, int? take)
    {
        var errors = new ValidationErrors();
        if (skip is < 0)
        {
            errors.Add("skip", "skip must be 0 or more.");
        }

        if (take is < 1 or > Page.MaxTake)
        {
            errors.Add("take", $"take must be from 1 to {Page.MaxTake}.");
        }

        errors.ThrowIfAny();
        return new Page(skip ?? 0, take ?? Page.Default.Take);
    }

    /// <summary>Checks paging parameters from a request.</summary>
    public static Page PageOf(int? skip, int? take) => CheckPage(skip, take);
}
