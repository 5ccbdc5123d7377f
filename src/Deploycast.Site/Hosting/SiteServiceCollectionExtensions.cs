using Deploycast.Site.Management;
using Deploycast.Site.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Deploycast.Site.Hosting;

public static class SiteServiceCollectionExtensions
{
    /// <summary>
    /// Adds the site server role: its store (SQLite in <paramref name="dataDirectory"/>, or PostgreSQL from
    /// <c>Site:ConnectionString</c>) and <see cref="SiteManager"/>. The host provides <see cref="Api.IAdminAuthenticator"/>
    /// and, to hold content, <see cref="IContentDistributor"/>. Map the API with <c>MapSite</c>; call
    /// <see cref="SiteManager.InitializeAsync"/> before serving.
    /// </summary>
    public static IServiceCollection AddSite(this IServiceCollection services, IConfiguration configuration, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new SiteOptions();
        configuration.GetSection(SiteOptions.Section).Bind(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, errors));
        }

        var storeOptions = new SiteStoreOptions { DataDirectory = dataDirectory };
        configuration.GetSection(SiteStoreOptions.SectionName).Bind(storeOptions);
        try
        {
            storeOptions.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(sp => SiteStore.Open(storeOptions, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(sp => new SiteManager(
            sp.GetRequiredService<ISiteStore>(),
            options,
            sp.GetService<IContentDistributor>(),
            sp.GetService<IImageInspector>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<SiteManager>>()));
        return services;
    }
}
