using System.Globalization;

namespace LivePatch.Core.Signing;

/// <summary>Formats a key id as modinfo's <c>sig_key</c> does.</summary>
internal static class KeyIdFormatter
{
    /// <summary>A serial number: kmod converts it with BN_bn2bin, which drops the DER sign byte.</summary>
    public static string FormatSerial(ReadOnlySpan<byte> serial)
    {
        int start = 0;
        while (start < serial.Length - 1 && serial[start] == 0)
        {
            start++;
        }
        return FormatBytes(serial[start..]);
    }

    /// <summary>Uppercase colon-separated hex of every byte.</summary>
    public static string FormatBytes(ReadOnlySpan<byte> bytes)
    {
        var parts = new string[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            parts[i] = bytes[i].ToString("X2", CultureInfo.InvariantCulture);
        }
        return string.Join(':', parts);
    }
}
