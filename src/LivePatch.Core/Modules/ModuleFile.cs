using LivePatch.Core.Elf;
using LivePatch.Core.Kernel;

namespace LivePatch.Core.Modules;

/// <summary>A kernel module read from its file: decompressed bytes (signature included), ELF view, .modinfo and build ID.</summary>
public sealed class ModuleFile
{
    /// <summary>Upper bound for a module file and for what it decompresses to; livepatch modules are kilobytes to a few MB.</summary>
    public const int DefaultMaxBytes = 256 * 1024 * 1024;

    private ModuleFile(ModuleCompression compression, ReadOnlyMemory<byte> bytes, ElfImage elf, ModInfo info, BuildId? buildId)
    {
        Compression = compression;
        Bytes = bytes;
        Elf = elf;
        Info = info;
        BuildId = buildId;
    }

    public ModuleCompression Compression { get; }

    /// <summary>The uncompressed module, including any appended signature.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    public ElfImage Elf { get; }

    public ModInfo Info { get; }

    /// <summary>The module's own GNU build ID (<c>.note.gnu.build-id</c>), if it was linked with one.</summary>
    public BuildId? BuildId { get; }

    public static ModuleFile Load(string path, int maxBytes = DefaultMaxBytes) =>
        Read(FileBytes.ReadBounded(path, maxBytes), maxBytes);

    /// <summary>Reads a module: it must be an ELF relocatable object with a .modinfo section.</summary>
    public static ModuleFile Read(ReadOnlyMemory<byte> file, int maxBytes = DefaultMaxBytes)
    {
        var compression = ModuleDecompressor.Detect(file.Span);
        var bytes = ModuleDecompressor.Decompress(file, compression, maxBytes);
        var elf = ElfImage.Parse(bytes);
        LivePatchFormatException.ThrowUnless(elf.IsRelocatable, ErrorCodes.ModuleNotRelocatable,
            $"Not a kernel module: ELF type is {elf.Header.Type}, a module is relocatable (ET_REL = 1).");
        var section = elf.FindSectionOrNull(".modinfo")
            ?? throw new LivePatchFormatException(ErrorCodes.ModinfoMissing, "Not a kernel module: it has no .modinfo section.");
        var info = ModInfo.Parse(elf.SectionData(section).Span);
        return new ModuleFile(compression, bytes, elf, info, BuildIdReader.FromElfOrNull(elf));
    }
}
