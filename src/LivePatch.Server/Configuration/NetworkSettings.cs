using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Options;

namespace LivePatch.Server.Configuration;

/// <summary>Addresses and networks in settings (<c>10.0.0.5</c>, <c>10.0.0.0/8</c>, <c>::1</c>, <c>fd00::/8</c>), and
/// the switches read before the services are chosen.</summary>
public static class NetworkSettings
{
    /// <summary>The networks <paramref name="values"/> name; a single address is a network of one. Null when one does not parse.</summary>
    public static List<IPNetwork>? ParseOrNull(IEnumerable<string> values)
    {
        var networks = new List<IPNetwork>();
        foreach (var value in values)
        {
            var text = value.Contains('/') ? value : IPAddress.TryParse(value, out var address) ? $"{value}/{(address.GetAddressBytes().Length * 8)}" : value;
            if (!IPNetwork.TryParse(text, out var network))
            {
                return null;
            }

            networks.Add(network);
        }

        return networks;
    }

    /// <summary>Whether <paramref name="address"/> lies in one of <paramref name="networks"/>; an IPv4 address seen on a
    /// dual-stack socket (<c>::ffff:127.0.0.1</c>) counts as the IPv4 address it is.</summary>
    public static bool Contains(IReadOnlyList<IPNetwork> networks, IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return networks.Any(n => n.Contains(plain));
    }

    /// <summary>A true/false switch read before the services are chosen; anything else fails the start naming it.</summary>
    public static bool ReadSwitch(IConfiguration configuration, string key, bool defaultValue) => configuration[key] switch
    {
        null or "" => defaultValue,
        var value when bool.TryParse(value, out var parsed) => parsed,
        var value => throw new OptionsValidationException(key, typeof(bool), [$"{key} must be true or false, not '{value}'."]),
    };
}

/// <summary>Which reverse proxies may say who the client is (<c>LivePatch:TrustedProxies</c>): their <c>X-Forwarded-For</c>
/// and <c>X-Forwarded-Proto</c> are honoured, anyone else's ignored. Empty (the default): the peer address is the client.</summary>
/// <remarks>The client address decides who may scrape <c>/metrics</c> and is what the audit trail records, so a header
/// from an arbitrary peer must never change it.</remarks>
public sealed class ProxyOptions : IValidatableObject
{
    public const string Key = RepositoryOptions.Section + ":TrustedProxies";

    public List<string> TrustedProxies { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (NetworkSettings.ParseOrNull(TrustedProxies) is null)
        {
            yield return new($"{Key} must list addresses or networks (10.0.0.5, 10.0.0.0/8, fd00::/8): '{string.Join(", ", TrustedProxies)}'.",
                [nameof(TrustedProxies)]);
        }
    }
}
