using System.Security.Cryptography;
using LivePatch.Core.Signing;

namespace LivePatch.Client.Tests.Updates;

/// <summary>A module from tests/fixtures (made by the kernel's sign-file), with what a publisher would declare for it.</summary>
public sealed record ModuleFixture(string FileName, byte[] Bytes, string Sha256, string? KeyId)
{
    public long Size => Bytes.LongLength;

    public static ModuleFixture Load(string fileName) => FromBytes(fileName, File.ReadAllBytes(FixtureFiles.PathOf("modules", fileName)));

    public static ModuleFixture FromBytes(string fileName, byte[] bytes) =>
        new(fileName, bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)), ModuleSignatureReader.ReadOrNull(bytes)?.KeyId);

    /// <summary>The same module in a gzip container: another blob (other SHA-256), the same module for the kernel.</summary>
    public ModuleFixture Gzipped(System.IO.Compression.CompressionLevel level = System.IO.Compression.CompressionLevel.Optimal)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, level))
        {
            gzip.Write(Bytes);
        }

        return new ModuleFixture(FileName + ".gz", output.ToArray(), Convert.ToHexStringLower(SHA256.HashData(output.ToArray())), KeyId);
    }
}

/// <summary>The fixture files the simulator serves and the host reads.</summary>
public static class ModuleFixtures
{
    /// <summary>The build ID in notes/sys-kernel-notes.bin (see its readelf.txt).</summary>
    public const string BuildId = "4a5a9b0affb66c437abcd455d2738af879985fa9";

    /// <summary>The release in the fixture modules' vermagic.</summary>
    public const string KernelRelease = "6.1.0-56-amd64";

    /// <summary>lp_sample signed with keys/rsa2048 (issuer and serial): the good module.</summary>
    public static ModuleFixture Signed { get; } = ModuleFixture.Load("lp_sample.rsa2048-sha256.ko");

    /// <summary>The same module and key, signer named by subject key identifier: other bytes, so a second good level.</summary>
    public static ModuleFixture SignedBySkid { get; } = ModuleFixture.Load("lp_sample.rsa2048-sha256-skid.ko");

    public static ModuleFixture Unsigned { get; } = ModuleFixture.Load("lp_sample.ko");

    /// <summary>Signed by keys/other-rsa2048, which no host keyring holds.</summary>
    public static ModuleFixture SignedByOtherKey { get; } = ModuleFixture.Load("lp_sample.other-sha256.ko");

    /// <summary>An ordinary module (no livepatch=Y), signed with the trusted key.</summary>
    public static ModuleFixture Plain { get; } = ModuleFixture.Load("plain.rsa2048-sha256.ko");
}
