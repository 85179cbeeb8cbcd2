using System.Text;

namespace LivePatch.Core.Modules;

/// <summary>The <c>.modinfo</c> section of a kernel module: NUL-separated <c>key=value</c> strings (include/linux/moduleparam.h, __MODULE_INFO).</summary>
public sealed class ModInfo
{
    /// <summary>Entries at most: a module has tens (aliases and parameters included); more is not a module.</summary>
    public const int MaxEntries = 10_000;

    /// <summary>Longest <c>key=value</c> in bytes: real entries (description, depends, alias patterns) are at most a few
    /// hundred; 4 KiB is a page of prose. Entries × length stays within the section, so parsing is linear in it.</summary>
    public const int MaxEntryLength = 4 * 1024;

    private ModInfo(IReadOnlyList<KeyValuePair<string, string>> entries) => Entries = entries;

    /// <summary>Every entry in file order; keys such as <c>alias</c> or <c>parm</c> repeat.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Entries { get; }

    /// <summary>The module name (<c>name=</c>, added by modpost since Linux 5.x).</summary>
    public string? Name => FirstOrNull("name");

    public string? Vermagic => FirstOrNull("vermagic");

    public string? License => FirstOrNull("license");

    public string? SrcVersion => FirstOrNull("srcversion");

    public string? Description => FirstOrNull("description");

    /// <summary>True when the module declares <c>livepatch=Y</c> (MODULE_INFO(livepatch, "Y"); kernel/livepatch/core.c checks it).</summary>
    public bool IsLivepatch => FirstOrNull("livepatch") == "Y";

    /// <summary>The kernel release the module was built for: the first word of vermagic (include/linux/vermagic.h).</summary>
    public string? KernelRelease => Vermagic?.Split(' ', 2)[0] is { Length: > 0 } release ? release : null;

    public string? FirstOrNull(string key) => Entries.FirstOrDefault(e => e.Key == key).Value;

    public IEnumerable<string> All(string key) => Entries.Where(e => e.Key == key).Select(e => e.Value);

    /// <summary>Parses the section bytes; alignment padding (runs of NULs) is skipped.</summary>
    public static ModInfo Parse(ReadOnlySpan<byte> section)
    {
        var entries = new List<KeyValuePair<string, string>>();
        var offset = 0;
        while (offset < section.Length)
        {
            var rest = section[offset..];
            var window = rest[..Math.Min(rest.Length, MaxEntryLength + 1)];
            var end = window.IndexOf((byte)0);
            var length = end < 0 ? window.Length : end;
            if (length > 0)
            {
                LivePatchFormatException.ThrowUnless(length <= MaxEntryLength, ErrorCodes.ModinfoMalformed,
                    $".modinfo entry at offset {offset} is longer than the limit of {MaxEntryLength} bytes.");
                LivePatchFormatException.ThrowUnless(end >= 0, ErrorCodes.ModinfoMalformed,
                    $".modinfo entry at offset {offset} is not NUL-terminated.");
                entries.Add(ParseEntry(rest[..length], offset));
                LivePatchFormatException.ThrowUnless(entries.Count <= MaxEntries, ErrorCodes.ModinfoMalformed,
                    $".modinfo has more than {MaxEntries} entries.");
            }

            offset += length + 1;
        }

        return new ModInfo(entries);
    }

    private static KeyValuePair<string, string> ParseEntry(ReadOnlySpan<byte> entry, int offset)
    {
        var equals = entry.IndexOf((byte)'=');
        LivePatchFormatException.ThrowUnless(equals > 0, ErrorCodes.ModinfoMalformed,
            $".modinfo entry at offset {offset} has no 'key=' part.");
        return new(Encoding.UTF8.GetString(entry[..equals]), Encoding.UTF8.GetString(entry[(equals + 1)..]));
    }
}
