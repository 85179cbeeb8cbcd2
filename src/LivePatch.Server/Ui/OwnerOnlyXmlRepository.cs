using System.Text.RegularExpressions;
using System.Xml.Linq;
using LivePatch.Core;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace LivePatch.Server.Ui;

/// <summary>Keeps the Data Protection key ring (what encrypts and signs session and antiforgery cookies) in a folder of the
/// data directory that only the server's user can read: 0700 for the folder, 0600 for each key file.</summary>
/// <remarks>ASP.NET Core's own file repository writes with the umask (often 0644). Persisted, the keys survive a restart, so
/// a restart does not sign everyone out; whoever reads them can forge a session cookie, hence the modes. The keys are not
/// encrypted at rest (Data Protection logs a warning saying so once per new key): the folder's mode is what guards them,
/// as it guards the LiteDB file and the signing key beside it.</remarks>
public sealed partial class OwnerOnlyXmlRepository : IXmlRepository
{
    public const string FolderName = "dashboard-keys";

    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly string _folder;

    public OwnerOnlyXmlRepository(string dataDirectory)
    {
        _folder = Path.Combine(Path.GetFullPath(dataDirectory), FolderName);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(_folder); // no Unix modes there: the data folder's ACL is what guards it
            return;
        }

        Directory.CreateDirectory(_folder, OwnerOnlyFolder);
        File.SetUnixFileMode(_folder, OwnerOnlyFolder); // an existing folder too: CreateDirectory leaves its mode
    }

    public IReadOnlyCollection<XElement> GetAllElements() =>
        Directory.EnumerateFiles(_folder, "*.xml").Order(StringComparer.Ordinal).Select(XElement.Load).ToList();

    public void StoreElement(XElement element, string friendlyName)
    {
        // Data Protection names keys "key-<guid>"; anything else gets a name of our own rather than a path from elsewhere.
        var name = SafeName().IsMatch(friendlyName) ? friendlyName : Guid.NewGuid().ToString();
        using var buffer = new MemoryStream();
        element.Save(buffer, SaveOptions.DisableFormatting);
        AtomicFile.Write(Path.Combine(_folder, name + ".xml"), buffer.ToArray(), AtomicFile.OwnerOnly);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,100}$")]
    private static partial Regex SafeName();
}
