using Deploycast.Content.Library;
using Deploycast.Content.Signing;
using Deploycast.DistributionPoint.Sessions;
using Deploycast.DistributionPoint.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Deploycast.DistributionPoint.Hosting;

public static class DistributionPointServiceCollectionExtensions
{
    /// <summary>
    /// Adds the distribution point role: its store (SQLite in the data directory), site key, content library, access
    /// tokens, session scheduler over UDP multicast, and the scheduler's heartbeat. Map its API with
    /// <c>MapDistributionPoint</c>.
    /// </summary>
    public static IServiceCollection AddDistributionPoint(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<DistributionPointOptions>().Bind(configuration.GetSection(DistributionPointOptions.Section));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IDistributionPointStore>(sp =>
        {
            var directory = DataDirectory(sp);
            return new SqliteDistributionPointStore(Path.Combine(directory, "dp.db"));
        });
        services.AddSingleton(sp => SiteKey.LoadOrCreate(DataDirectory(sp)));
        services.AddSingleton(sp => new ContentLibrary(
            new ContentLibraryOptions { Root = Path.Combine(DataDirectory(sp), "content"), BlockSize = DistributionPointDefaults.BlockSize },
            sp.GetRequiredService<SiteKey>(),
            sp.GetRequiredService<ILogger<ContentLibrary>>()));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<DistributionPointOptions>>().Value;
            return AccessTokens.LoadOrCreate(sp.GetRequiredService<IDistributionPointStore>(), options.AdminToken, options.ClientToken);
        });
        services.TryAddSingleton<IClientAuthorizer>(sp => new TokenClientAuthorizer(sp.GetRequiredService<AccessTokens>()));
        services.AddSingleton(sp => new GroupAllocator(
            sp.GetRequiredService<IOptions<DistributionPointOptions>>().Value.LockDirectory,
            sp.GetRequiredService<ILogger<GroupAllocator>>()));
        services.AddSingleton<IMulticastSessionFactory>(sp => new UdpMulticastSessionFactory(sp.GetRequiredService<ContentLibrary>(), sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(sp => new DistributionPointRole(
            sp.GetRequiredService<IDistributionPointStore>(),
            sp.GetRequiredService<ContentLibrary>(),
            sp.GetRequiredService<SiteKey>(),
            role => new SessionScheduler(
                () => role.Settings,
                sp.GetRequiredService<GroupAllocator>(),
                sp.GetRequiredService<IMulticastSessionFactory>(),
                role,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<SessionScheduler>>()),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<DistributionPointRole>>()));
        services.AddHostedService<SchedulerHeartbeat>();
        return services;
    }

    private static string DataDirectory(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<DistributionPointOptions>>().Value;
        Directory.CreateDirectory(options.DataDirectory);
        return options.DataDirectory;
    }
}
