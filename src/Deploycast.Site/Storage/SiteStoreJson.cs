using System.Text.Json.Serialization;
using Deploycast.Site.Model;

namespace Deploycast.Site.Storage;

/// <summary>How lists are stored in text columns: JSON with enum names, so the rows read well and survive enum reordering.</summary>
[JsonSourceGenerationOptions(
    UseStringEnumConverter = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(IReadOnlyList<CollectionRule>))]
[JsonSerializable(typeof(IReadOnlyList<TaskSequenceStep>))]
[JsonSerializable(typeof(DistributionPointHealth))]
internal sealed partial class SiteStoreJson : JsonSerializerContext;
