using System.Security.Cryptography;
using System.Text;
using LivePatch.Core;

namespace LivePatch.Client.Reports;

/// <summary>The id a host reports under: hex SHA-256 over a fixed domain string, the report URL and /etc/machine-id.</summary>
/// <remarks>
/// machine-id(5) is a stable secret of the host ("should be considered confidential"); sent as it is, two repositories (a
/// vendor and a site, or two vendors) could match their hosts. Hashed with the URL reported to, the id is stable for one
/// repository and unrelated between two, and the machine-id cannot be recovered from it. The domain string keeps the hash
/// apart from any other use of SHA-256 over the same bytes. Changing <c>report.url</c> makes the host a new one there.
/// </remarks>
public static class MachineIdentity
{
    public const string Domain = "lpatch host report machine id v1";

    /// <summary>machine-id(5): 32 lowercase hex digits and a newline; a larger file is not one.</summary>
    private const int MaxBytes = 256;

    /// <summary>The id for reports to <paramref name="reportUrl"/>, or null with <paramref name="problem"/> saying why the
    /// machine-id file cannot be used (missing, unreadable, or not 32 hex digits, such as "uninitialized" early in boot).</summary>
    public static string? DeriveOrNull(string machineIdPath, Uri reportUrl, out string problem)
    {
        ArgumentNullException.ThrowIfNull(reportUrl);
        string text;
        try
        {
            text = Encoding.UTF8.GetString(FileBytes.ReadBounded(machineIdPath, MaxBytes)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LivePatchFormatException)
        {
            problem = $"cannot read {machineIdPath}: {e.Message}";
            return null;
        }

        if (text.Length != 32 || !text.All(c => char.IsAsciiHexDigitLower(c) || char.IsAsciiDigit(c)))
        {
            problem = $"{machineIdPath} does not hold a machine id (32 lowercase hex digits, machine-id(5))";
            return null;
        }

        problem = "";
        var input = Encoding.UTF8.GetBytes($"{Domain}\0{CanonicalUrl(reportUrl)}\0{text}");
        return Convert.ToHexStringLower(SHA256.HashData(input));
    }

    /// <summary>The URL as it goes into the hash: scheme, host (lowercase), port and path with a trailing slash, so that
    /// <c>https://Repo.example</c> and <c>https://repo.example/</c> are one repository.</summary>
    public static string CanonicalUrl(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var path = url.GetLeftPart(UriPartial.Path);
        return path.EndsWith('/') ? path : path + "/";
    }
}
