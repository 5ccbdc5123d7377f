using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace Deploycast.DistributionPoint.Settings;

/// <summary>IPv4 addresses as host-order integers, so ranges can be counted and walked.</summary>
internal static class Ipv4
{
    public const uint MulticastFirst = 0xE000_0000; // 224.0.0.0
    public const uint MulticastLast = 0xEFFF_FFFF; // 239.255.255.255
    public const uint LocalControlLast = 0xE000_00FF; // 224.0.0.255

    /// <summary>
    /// Parses exactly four dotted decimal parts. <see cref="IPAddress.TryParse(string, out IPAddress)"/> also accepts
    /// "1" (0.0.0.1), "10.1" and octal or hex parts, which in a settings file are typing mistakes, not intentions.
    /// </summary>
    public static bool TryParse(string? text, out uint address)
    {
        address = 0;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var rest = text.AsSpan();
        for (var i = 0; i < 4; i++)
        {
            var dot = rest.IndexOf('.');
            var part = i < 3 ? (dot < 0 ? default : rest[..dot]) : rest;
            if (i < 3 && dot < 0)
            {
                return false;
            }

            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0'))
            {
                return false;
            }

            foreach (var c in part)
            {
                if (c is < '0' or > '9')
                {
                    return false;
                }
            }

            var value = int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture);
            if (value > 255)
            {
                return false;
            }

            address = (address << 8) | (uint)value;
            rest = i < 3 ? rest[(dot + 1)..] : default;
        }

        return true;
    }

    public static bool IsMulticast(uint address) => address is >= MulticastFirst and <= MulticastLast;

    public static IPAddress ToAddress(uint address)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, address);
        return new IPAddress(bytes);
    }

    public static string Format(uint address) =>
        string.Create(CultureInfo.InvariantCulture, $"{address >> 24}.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}");
}
