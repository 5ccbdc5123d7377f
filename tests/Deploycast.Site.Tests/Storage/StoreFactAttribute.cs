using Xunit.Abstractions;
using Xunit.Sdk;

namespace Deploycast.Site.Tests.Storage;

/// <summary>
/// A contract test, written once in an abstract class and run by each store's subclass. Unlike <see cref="FactAttribute"/>
/// it is skipped per subclass: in a class marked <see cref="RequiresPostgresAttribute"/> when
/// <see cref="PostgresServer.SkipReason"/> says PostgreSQL is not available (xUnit 2 has no skipping at run time,
/// and a skip set in the attribute's constructor would skip the SQLite run as well).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
[XunitTestCaseDiscoverer("Deploycast.Site.Tests.Storage.StoreFactDiscoverer", "Deploycast.Site.Tests")]
public sealed class StoreFactAttribute : FactAttribute;

/// <summary>Marks a test class whose tests need <see cref="PostgresServer"/>.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiresPostgresAttribute : Attribute;

/// <summary>A test of PostgreSQL alone; skipped with <see cref="PostgresServer.SkipReason"/> when it cannot run.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresServer.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>Finds <see cref="StoreFactAttribute"/> tests and skips those of a PostgreSQL class when there is no server.</summary>
public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var display = discoveryOptions.MethodDisplayOrDefault();
        var displayOptions = discoveryOptions.MethodDisplayOptionsOrDefault();
        var needsPostgres = testMethod.TestClass.Class.GetCustomAttributes(typeof(RequiresPostgresAttribute)).Any();
        if (needsPostgres && PostgresServer.SkipReason is { } reason)
        {
            return [new XunitSkippedDataRowTestCase(diagnosticMessageSink, display, displayOptions, testMethod, reason)];
        }

        return [new XunitTestCase(diagnosticMessageSink, display, displayOptions, testMethod)];
    }
}
