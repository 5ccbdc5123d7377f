namespace Deploycast.DistributionPoint.Settings;

/// <summary>One invalid setting: <paramref name="Setting"/> is the property name, as an administrator types it.</summary>
public sealed record SettingError(string Setting, string Message);
