using LivePatch.Core.Elf;

namespace LivePatch.Core.Kernel;

/// <summary>Finds the NT_GNU_BUILD_ID note in a raw note sequence or an ELF file (vmlinux, module, any executable).</summary>
public static class BuildIdReader
{
    /// <summary>Where a running Linux kernel exposes its own notes (kernel/ksysfs.c, notes_read).</summary>
    public const string RunningKernelNotesPath = "/sys/kernel/notes";

    /// <summary>Note type of a GNU build ID (include/uapi/linux/elf.h, NT_GNU_BUILD_ID).</summary>
    public const uint NoteTypeGnuBuildId = 3;

    // /sys/kernel/notes of a real kernel is a few hundred bytes; a bound keeps a wrong path harmless.
    private const int MaxNotesBytes = 1 << 20;

    /// <summary>Reads the running kernel's build ID from <paramref name="notesPath"/> (host byte order).</summary>
    public static BuildId ReadRunningKernel(string notesPath = RunningKernelNotesPath)
    {
        var bytes = FileBytes.ReadBounded(notesPath, MaxNotesBytes);
        return FromNoteSequence(bytes, BitConverter.IsLittleEndian);
    }

    /// <summary>The build ID in a raw note sequence, skipping other notes (Linux, Xen, …).</summary>
    public static BuildId FromNoteSequence(ReadOnlyMemory<byte> notes, bool littleEndian) =>
        FindOrNull(ElfNote.ParseSequence(notes, littleEndian))
        ?? throw new LivePatchFormatException(ErrorCodes.BuildIdMissing, "The notes hold no GNU build ID note (owner 'GNU', type 3).");

    /// <summary>The build ID of an ELF file: from its SHT_NOTE sections, or else its PT_NOTE segments.</summary>
    public static BuildId FromElf(ReadOnlyMemory<byte> file) => FromElf(ElfImage.Parse(file));

    public static BuildId FromElf(ElfImage elf) =>
        FromElfOrNull(elf) ?? throw new LivePatchFormatException(ErrorCodes.BuildIdMissing,
            "The ELF file has no GNU build ID note in its note sections or PT_NOTE segments.");

    /// <summary>The build ID of an ELF file, or null when it has none (a module built without --build-id).</summary>
    public static BuildId? FromElfOrNull(ElfImage elf)
    {
        foreach (var section in elf.Sections.Where(s => s.Type == ElfImage.SectionTypeNote))
        {
            var notes = ElfNote.ParseSequence(elf.SectionData(section), elf.IsLittleEndian, (int)Math.Min(section.Alignment, 8));
            if (FindOrNull(notes) is { } id)
            {
                return id;
            }
        }

        // A stripped vmlinux or a core file may have no section headers, only PT_NOTE segments. Segments may
        // overlap (a PT_LOAD holds the notes), but PT_NOTE segments do not overlap each other: more note bytes
        // than the file holds would make the work grow with segments x file size.
        var noteSegments = elf.Segments.Where(s => s.Type == ElfImage.SegmentTypeNote).ToList();
        var noteBytes = noteSegments.Aggregate(0UL, (sum, s) => sum + s.FileSize);
        LivePatchFormatException.ThrowUnless(noteBytes <= (ulong)elf.Length, ErrorCodes.ElfMalformed,
            $"The PT_NOTE segments hold {noteBytes} bytes together, more than the {elf.Length}-byte file: they overlap.");
        foreach (var segment in noteSegments)
        {
            var notes = ElfNote.ParseSequence(elf.SegmentData(segment), elf.IsLittleEndian, (int)Math.Min(segment.Alignment, 8));
            if (FindOrNull(notes) is { } id)
            {
                return id;
            }
        }

        return null;
    }

    private static BuildId? FindOrNull(IReadOnlyList<ElfNote> notes)
    {
        var note = notes.FirstOrDefault(n => n.Type == NoteTypeGnuBuildId && n.Name == "GNU");
        return note is null ? null : BuildId.FromBytes(note.Descriptor.Span);
    }
}
