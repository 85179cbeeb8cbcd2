using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ZstdSharp;

namespace LivePatch.Core.Tests;

/// <summary>Small inputs that declare or reference far more than they hold: one per parser, built in memory.</summary>
/// <remarks>tests/fixtures/make-amplification.py writes the ELF-names case as a file for the server and CLI tests.</remarks>
internal static class AmplificationCases
{
    private const int HeaderSize = 64;        // Elf64_Ehdr
    private const int SectionHeaderSize = 64; // Elf64_Shdr
    private const int ProgramHeaderSize = 56; // Elf64_Phdr

    /// <summary>The case: an ET_REL whose <paramref name="sections"/> section headers all name one
    /// <paramref name="nameBytes"/>-byte string (NUL-terminated or not), the string table being section 1.</summary>
    public static byte[] ElfSharedLongName(int sections = 16_000, int nameBytes = 2 * 1024 * 1024, bool terminated = true)
    {
        var strtab = new byte[nameBytes + (terminated ? 1 : 0)];
        strtab.AsSpan(0, nameBytes).Fill((byte)'A');
        var shoff = Align8(HeaderSize + strtab.Length);
        var elf = new byte[shoff + (sections * SectionHeaderSize)];
        WriteHeader(elf, shoff: (ulong)shoff, shnum: (ushort)sections, shstrndx: 1);
        strtab.CopyTo(elf, HeaderSize);
        WriteSection(elf, shoff, 1, type: 3 /* SHT_STRTAB */, offset: HeaderSize, size: (ulong)strtab.Length);
        for (var i = 2; i < sections; i++)
        {
            WriteSection(elf, shoff, i, type: 1 /* SHT_PROGBITS */, offset: 0, size: 0);
        }

        return elf;
    }

    /// <summary>Extended numbering (e_shnum 0) with section 0's sh_size declaring <paramref name="count"/> sections.</summary>
    public static byte[] ElfDeclaredSectionCount(ulong count)
    {
        var elf = new byte[HeaderSize + SectionHeaderSize];
        WriteHeader(elf, shoff: HeaderSize, shnum: 0, shstrndx: 0);
        WriteSection(elf, HeaderSize, 0, type: 0, offset: 0, size: count);
        return elf;
    }

    /// <summary>An executable whose <paramref name="segments"/> PT_NOTE program headers all cover the same
    /// <paramref name="noteBytes"/> of empty notes: each segment alone is valid, together they are the file many times.</summary>
    public static byte[] ElfOverlappingNoteSegments(int segments = 4_096, int noteBytes = 1024 * 1024)
    {
        var phoff = HeaderSize;
        var notesAt = phoff + (segments * ProgramHeaderSize);
        var elf = new byte[notesAt + noteBytes]; // empty notes: namesz 0, descsz 0, type 0
        WriteHeader(elf, shoff: 0, shnum: 0, shstrndx: 0, type: 2 /* ET_EXEC */, phoff: (ulong)phoff, phnum: (ushort)segments);
        for (var i = 0; i < segments; i++)
        {
            var ph = elf.AsSpan(phoff + (i * ProgramHeaderSize), ProgramHeaderSize);
            BinaryPrimitives.WriteUInt32LittleEndian(ph, 4 /* PT_NOTE */);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], (ulong)notesAt);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], (ulong)noteBytes);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[48..], 4);
        }

        return elf;
    }

    /// <summary><paramref name="count"/> empty 12-byte notes in a row.</summary>
    public static byte[] ManyEmptyNotes(int count) => new byte[count * 12];

    /// <summary>A .modinfo with one <c>key=</c> entry of <paramref name="valueBytes"/> and no NUL.</summary>
    public static byte[] ModinfoLongEntry(int valueBytes)
    {
        var bytes = new byte[valueBytes + 2];
        bytes.AsSpan().Fill((byte)'x');
        bytes[1] = (byte)'=';
        return bytes;
    }

    /// <summary>A .modinfo of <paramref name="count"/> three-byte entries <c>a=\0</c>.</summary>
    public static byte[] ModinfoManyEntries(int count) =>
        Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a=\0", count)));

    /// <summary>A module body followed by struct module_signature declaring a CMS of <paramref name="sigLen"/> bytes.</summary>
    public static byte[] SignatureTrailer(uint sigLen, int bodyBytes = 4096)
    {
        var magic = "~Module signature appended~\n"u8;
        var bytes = new byte[bodyBytes + 12 + magic.Length];
        var ms = bytes.AsSpan(bodyBytes, 12);
        ms[2] = 2; // PKEY_ID_PKCS7
        BinaryPrimitives.WriteUInt32BigEndian(ms[8..], sigLen);
        magic.CopyTo(bytes.AsSpan(bodyBytes + 12));
        return bytes;
    }

    /// <summary>A coverage bin whose <c>$.kernels</c> holds <paramref name="count"/> copies of one well-formed entry
    /// (about 120 bytes each): a deserializer that builds before it counts allocates about twice the input.</summary>
    public static byte[] CoverageBinManyKernels(int count)
    {
        var head = """{"schema":1,"repository":"r","channel":"stable","prefix":"01","version":1,"issued":"2026-03-01T00:00:00+00:00","expires":"2026-03-02T00:00:00+00:00","kernels":["""u8;
        var entry = """{"buildId":"0100000000000000","version":1,"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":1}"""u8;
        var tail = "]}"u8;
        var bytes = new byte[head.Length + (count * (entry.Length + 1)) - 1 + tail.Length];
        head.CopyTo(bytes);
        var at = head.Length;
        for (var i = 0; i < count; i++, at += entry.Length + 1)
        {
            entry.CopyTo(bytes.AsSpan(at));
            bytes[at + entry.Length] = (byte)',';
        }

        tail.CopyTo(bytes.AsSpan(at - 1));
        return bytes;
    }

    /// <summary><paramref name="bytes"/> gzipped, as <c>make modules_install</c> compresses a module.</summary>
    public static byte[] GzipOf(byte[] bytes)
    {
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(bytes);
        }

        return packed.ToArray();
    }

    /// <summary><paramref name="zeros"/> zero bytes, gzipped (deflate tops out near 1,000:1).</summary>
    public static byte[] GzipBomb(int zeros)
    {
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            WriteZeros(gzip, zeros);
        }

        return packed.ToArray();
    }

    /// <summary><paramref name="zeros"/> zero bytes as one zstd frame (its header states the content size).</summary>
    public static byte[] ZstdBomb(int zeros)
    {
        using var packed = new MemoryStream();
        using (var zstd = new CompressionStream(packed, level: 19, leaveOpen: true))
        {
            zstd.SetPledgedSrcSize((ulong)zeros);
            WriteZeros(zstd, zeros);
        }

        return packed.ToArray();
    }

    /// <summary>A zstd frame header alone that declares a 2^<paramref name="windowLog"/>-byte window and no content size.</summary>
    public static byte[] ZstdLargeWindow(int windowLog) =>
        // Magic, frame header descriptor 0 (window descriptor follows, no checksum, no content size), window
        // descriptor (exponent windowLog - 10, mantissa 0), then one empty last raw block (RFC 8878 3.1.1).
        [0x28, 0xb5, 0x2f, 0xfd, 0x00, (byte)((windowLog - 10) << 3), 0x01, 0x00, 0x00];

    private static void WriteZeros(Stream stream, int count)
    {
        var chunk = new byte[1 << 20];
        for (var left = count; left > 0; left -= chunk.Length)
        {
            stream.Write(chunk, 0, Math.Min(left, chunk.Length));
        }
    }

    private static int Align8(int value) => (value + 7) & ~7;

    private static void WriteHeader(Span<byte> elf, ulong shoff, ushort shnum, ushort shstrndx, ushort type = 1, ulong phoff = 0, ushort phnum = 0)
    {
        "\x7f"u8.CopyTo(elf);
        "ELF"u8.CopyTo(elf[1..]);
        elf[4] = 2; // ELFCLASS64
        elf[5] = 1; // ELFDATA2LSB
        elf[6] = 1; // EV_CURRENT
        BinaryPrimitives.WriteUInt16LittleEndian(elf[16..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(elf[18..], 62); // EM_X86_64
        BinaryPrimitives.WriteUInt32LittleEndian(elf[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(elf[32..], phoff);
        BinaryPrimitives.WriteUInt64LittleEndian(elf[40..], shoff);
        BinaryPrimitives.WriteUInt16LittleEndian(elf[52..], HeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(elf[54..], ProgramHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(elf[56..], phnum);
        BinaryPrimitives.WriteUInt16LittleEndian(elf[58..], SectionHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(elf[60..], shnum);
        BinaryPrimitives.WriteUInt16LittleEndian(elf[62..], shstrndx);
    }

    private static void WriteSection(Span<byte> elf, int shoff, int index, uint type, ulong offset, ulong size)
    {
        var sh = elf.Slice(shoff + (index * SectionHeaderSize), SectionHeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(sh[4..], type);
        BinaryPrimitives.WriteUInt64LittleEndian(sh[24..], offset);
        BinaryPrimitives.WriteUInt64LittleEndian(sh[32..], size);
        BinaryPrimitives.WriteUInt64LittleEndian(sh[48..], 1);
    }
}
