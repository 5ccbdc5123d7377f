namespace Deploycast.DistributionPoint.Settings;

/// <summary>Thrown by <see cref="MulticastSettings.ValidateOrThrow"/>; the message lists every invalid setting.</summary>
public sealed class MulticastSettingsException : Exception
{
    /// <summary>Creates the exception for the given errors (at least one).</summary>
    public MulticastSettingsException(IReadOnlyList<SettingError> errors)
        : base(Format(errors))
    {
        Errors = errors;
    }

    /// <summary>Every invalid setting, in the order the settings are declared.</summary>
    public IReadOnlyList<SettingError> Errors { get; }

    private static string Format(IReadOnlyList<SettingError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return errors.Count == 1
            ? $"Invalid multicast setting: {errors[0].Message}"
            : $"{errors.Count} invalid multicast settings:" + string.Concat(errors.Select(e => Environment.NewLine + "  " + e.Message));
    }
}
