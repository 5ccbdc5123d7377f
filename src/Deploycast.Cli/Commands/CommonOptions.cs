using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using Deploycast.Multicast;
using Deploycast.Multicast.Transport;

namespace Deploycast.Cli.Commands;

/// <summary>Options shared by send and receive, with parsers that name what is wrong.</summary>
internal static class CommonOptions
{
    public static Option<IPAddress> Interface() => new("--interface", "-i")
    {
        Description = "IPv4 address of the interface to use (default 127.0.0.1: nothing leaves this machine)",
        DefaultValueFactory = _ => MulticastDefaults.Interface,
        CustomParser = ParseInterface,
    };

    public static Option<IPAddress> Group() => new("--group", "-g")
    {
        Description = $"IPv4 multicast group (default {MulticastDefaults.Group})",
        DefaultValueFactory = _ => MulticastDefaults.Group,
        CustomParser = ParseGroup,
    };

    public static Option<int> Port() => new("--port", "-p")
    {
        Description = $"UDP port (default {MulticastDefaults.Port})",
        DefaultValueFactory = _ => MulticastDefaults.Port,
        Validators = { result => Range(result, 1, 65535) },
    };

    public static Option<FileInfo?> KeyFile() => new("--key-file", "-k")
    {
        Description = "file holding the session's 32-byte key (raw bytes); encrypts and authenticates every packet",
    };

    private static IPAddress ParseInterface(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (!IPAddress.TryParse(text, out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            result.AddError($"--interface: '{text}' is not an IPv4 address");
            return MulticastDefaults.Interface;
        }

        return address;
    }

    private static IPAddress ParseGroup(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (!IPAddress.TryParse(text, out var address) || !MulticastSender.IsIPv4Multicast(address))
        {
            result.AddError($"--group: '{text}' is not an IPv4 multicast address (224.0.0.0 to 239.255.255.255)");
            return MulticastDefaults.Group;
        }

        return address;
    }

    private static void Range(OptionResult result, int min, int max)
    {
        var value = result.GetValueOrDefault<int>();
        if (value < min || value > max)
        {
            result.AddError($"{result.Option.Name}: {value} is out of range ({min} to {max})");
        }
    }

    /// <summary>Reads a key file, or returns an error that names the file and what is wrong with it.</summary>
    public static byte[]? ReadKey(FileInfo? file, out string? error)
    {
        error = null;
        if (file is null)
        {
            return null;
        }

        if (!file.Exists)
        {
            error = $"--key-file: {file.FullName} does not exist";
            return null;
        }

        if (file.Length != 32)
        {
            error = $"--key-file: {file.FullName} holds {file.Length} bytes; a key file holds exactly 32 raw bytes (make one with: head -c 32 /dev/urandom > key)";
            return null;
        }

        return File.ReadAllBytes(file.FullName);
    }
}
