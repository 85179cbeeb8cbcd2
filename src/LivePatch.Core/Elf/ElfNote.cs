using System.Text;

namespace LivePatch.Core.Elf;

/// <summary>One ELF note: owner name (without its NUL), type and descriptor bytes.</summary>
public sealed record ElfNote(string Name, uint Type, ReadOnlyMemory<byte> Descriptor)
{
    private const int HeaderSize = 12; // namesz, descsz, type: three 4-byte words in ELF32 and ELF64 alike
    private const int MaxNameSize = 256; // the longest owner names in use are a few bytes

    /// <summary>Notes in one sequence: /sys/kernel/notes and a module's note sections hold a handful
    /// (GNU build ID, Linux, Xen); the cap bounds the list whatever a 12-byte note header repeats.</summary>
    public const int MaxNotes = 1_024;

    /// <summary>Longest descriptor: a build ID is at most 64 bytes and the kernel's other notes are words;
    /// 64 KiB leaves room for any note a toolchain writes while refusing a declared size that is the whole file.</summary>
    public const int MaxDescriptorSize = 64 * 1024;

    /// <summary>Parses a sequence of notes (a SHT_NOTE section, a PT_NOTE segment, or /sys/kernel/notes).</summary>
    /// <param name="data">The note bytes.</param>
    /// <param name="littleEndian">The byte order of the file, or of the running kernel for /sys/kernel/notes.</param>
    /// <param name="alignment">4, or 8 for sections and segments aligned to 8 (gABI "Note Section").</param>
    public static IReadOnlyList<ElfNote> ParseSequence(ReadOnlyMemory<byte> data, bool littleEndian, int alignment = 4)
    {
        alignment = alignment == 8 ? 8 : 4;
        var notes = new List<ElfNote>();
        var offset = 0;
        while (offset < data.Length)
        {
            // A tail of padding zeros shorter than a header ends the sequence (the kernel pads .notes).
            if (data.Length - offset < HeaderSize)
            {
                LivePatchFormatException.ThrowUnless(!data.Span[offset..].ContainsAnyExcept((byte)0), ErrorCodes.NoteMalformed,
                    $"Note at offset {offset}: {data.Length - offset} trailing bytes are too short for a 12-byte note header.");
                break;
            }

            var r = new ElfFieldReader(data.Span.Slice(offset, HeaderSize), littleEndian);
            uint nameSize = r.U32(0), descSize = r.U32(4), type = r.U32(8);
            var nameStart = offset + HeaderSize;
            var descStart = Checked(nameStart, nameSize, alignment, data.Length, offset, "name");
            var next = Checked(descStart, descSize, alignment, data.Length, offset, "descriptor");
            LivePatchFormatException.ThrowUnless(nameSize <= MaxNameSize, ErrorCodes.NoteMalformed,
                $"Note at offset {offset}: name size {nameSize} exceeds {MaxNameSize} bytes.");
            LivePatchFormatException.ThrowUnless(descSize <= MaxDescriptorSize, ErrorCodes.NoteMalformed,
                $"Note at offset {offset}: descriptor size {descSize} exceeds {MaxDescriptorSize} bytes.");
            LivePatchFormatException.ThrowUnless(notes.Count < MaxNotes, ErrorCodes.NoteMalformed,
                $"Note at offset {offset}: more than {MaxNotes} notes in one sequence.");
            notes.Add(new ElfNote(ReadName(data.Span.Slice(nameStart, (int)nameSize), offset), type, data.Slice(descStart, (int)descSize)));
            offset = next;
        }

        return notes;
    }

    /// <summary>The aligned end of a field that starts at <paramref name="start"/>, checked against the buffer.</summary>
    private static int Checked(int start, uint size, int alignment, int length, int noteOffset, string field)
    {
        // The field itself must fit; its padding may be cut short only at the very end of the data.
        LivePatchFormatException.ThrowUnless(size <= (uint)(length - start), ErrorCodes.NoteMalformed,
            $"Note at offset {noteOffset}: {field} size {size} runs past the end of the notes ({length} bytes).");
        var end = (long)start + size;
        var aligned = (end + alignment - 1) / alignment * alignment;
        return (int)Math.Min(aligned, length);
    }

    private static string ReadName(ReadOnlySpan<byte> name, int noteOffset)
    {
        if (name.IsEmpty)
        {
            return "";
        }

        LivePatchFormatException.ThrowUnless(name[^1] == 0, ErrorCodes.NoteMalformed,
            $"Note at offset {noteOffset}: the owner name is not NUL-terminated.");
        return Encoding.ASCII.GetString(name[..^1]);
    }
}
