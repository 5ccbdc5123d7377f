using System.Globalization;

namespace Deploycast.Cli.Commands;

/// <summary>Parses rates in bits per second with decimal suffixes: 200M, 1G, 1.5g, 750k, 64000.</summary>
internal static class RateParser
{
    public static bool TryParse(string text, out long bitsPerSecond)
    {
        bitsPerSecond = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        var unit = char.ToUpperInvariant(text[^1]);
        var multiplier = unit switch
        {
            'K' => 1e3,
            'M' => 1e6,
            'G' => 1e9,
            _ => 1,
        };
        var number = multiplier == 1 ? text : text[..^1];
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value <= 0 || double.IsInfinity(value))
        {
            return false;
        }

        var bits = value * multiplier;
        if (bits > 1e12)
        {
            return false;
        }

        bitsPerSecond = (long)bits;
        return bitsPerSecond > 0;
    }

    public static string Format(double bitsPerSecond) => bitsPerSecond switch
    {
        >= 1e9 => $"{bitsPerSecond / 1e9:0.00} Gbit/s",
        >= 1e6 => $"{bitsPerSecond / 1e6:0.0} Mbit/s",
        _ => $"{bitsPerSecond / 1e3:0} kbit/s",
    };

    public static string FormatBytes(double bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (1L << 30):0.00} GiB",
        >= 1L << 20 => $"{bytes / (1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / (1L << 10):0.0} KiB",
        _ => $"{bytes:0} B",
    };
}
