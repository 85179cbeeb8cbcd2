using System.Text;
using LivePatch.Core.Manifests;

namespace LivePatch.Core.Tests.Manifests;

public sealed class CoverageBinSerializerTests
{
    [Fact]
    public void Serialize_ValidBin_RoundTripsToTheSameBytes()
    {
        var bytes = CoverageBinSerializer.Serialize(SampleCoverageBins.Bin());

        var back = CoverageBinSerializer.Deserialize(bytes);

        Assert.Equal(bytes, CoverageBinSerializer.Serialize(back));
        Assert.Equal(SampleCoverageBins.Bin().Kernels, back.Kernels);
    }

    [Fact]
    public void Serialize_ValidBin_UsesCamelCase()
    {
        var json = Encoding.UTF8.GetString(CoverageBinSerializer.Serialize(SampleCoverageBins.Bin()));

        Assert.Contains("\"prefix\":\"01\"", json, StringComparison.Ordinal);
        Assert.Contains("\"kernels\":[{\"buildId\":", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_EmptyBin_IsValid() =>
        Assert.Empty(CoverageBinSerializer.Deserialize(CoverageBinSerializer.Serialize(SampleCoverageBins.Bin() with { Kernels = [] })).Kernels);

    [Theory]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("{}")]
    [InlineData("{\"schema\":1}")]
    [InlineData("{\"kernels\":[}")]
    public void Deserialize_MalformedJson_ThrowsCoverageMalformed(string json)
    {
        var e = Assert.Throws<LivePatchFormatException>(() => CoverageBinSerializer.Deserialize(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(ErrorCodes.CoverageMalformed, e.Code);
    }

    public static TheoryData<string, CoverageBin> InvalidBins()
    {
        var bin = SampleCoverageBins.Bin();
        var k = bin.Kernels;
        return new()
        {
            { "schema 2", bin with { Schema = 2 } },
            { "empty repository", bin with { Repository = "" } },
            { "channel with a control character", bin with { Channel = "stable\u001b[2J" } },
            { "prefix of one digit", bin with { Prefix = "0" } },
            { "prefix of three digits", bin with { Prefix = "012" } },
            { "uppercase prefix", bin with { Prefix = "AB", Kernels = [] } },
            { "prefix not hex", bin with { Prefix = "0g", Kernels = [] } },
            { "version 2^53", bin with { Version = ManifestLimits.MaxVersion + 1 } },
            { "entry version 2^53", bin with { Kernels = [k[0], k[1] with { Version = ManifestLimits.MaxVersion + 1 }, k[2]] } },
            { "expires equals issued", bin with { Expires = bin.Issued } },
            { "issued before 2000", bin with { Issued = new DateTimeOffset(1999, 12, 31, 0, 0, 0, TimeSpan.Zero) } },
            { "expires after 2200", bin with { Expires = ManifestLimits.MaxDate.AddDays(1) } },
            { "build ID outside the prefix", bin with { Kernels = [.. k, SampleCoverageBins.Kernel("02aaaaaaaaaaaaaa")] } },
            { "build ID shorter than 8 bytes", bin with { Kernels = [SampleCoverageBins.Kernel("01aaaaaaaaaaaa")] } },
            { "uppercase build ID", bin with { Kernels = [SampleCoverageBins.Kernel("01AAAAAAAAAAAAAA")] } },
            { "unsorted", bin with { Kernels = [k[1], k[0], k[2]] } },
            { "duplicate", bin with { Kernels = [k[0], k[1], k[1] with { Version = 43 }, k[2]] } },
            { "sha256 too short", bin with { Kernels = [k[0] with { Sha256 = "abc" }] } },
            { "sha256 uppercase", bin with { Kernels = [k[0] with { Sha256 = SampleManifests.Sha.ToUpperInvariant() }] } },
            { "size 0", bin with { Kernels = [k[0] with { Size = 0 }] } },
            { "size above the cap", bin with { Kernels = [k[0] with { Size = ManifestLimits.MaxSignedManifestSize + 1 }] } },
        };
    }

    [Theory]
    [MemberData(nameof(InvalidBins))]
    public void Serialize_InvalidBin_ThrowsCoverageMalformed(string what, CoverageBin bin)
    {
        var e = Assert.Throws<LivePatchFormatException>(() => CoverageBinSerializer.Serialize(bin));

        Assert.True(e.Code == ErrorCodes.CoverageMalformed, $"{what}: {e.Code}");
    }

    /// <summary>A bin's kernels as the server keeps them (<see cref="CoveredEntry"/>: the SHA-256 as bytes).</summary>
    private static CoveredEntry[] Entries(CoverageBin bin) => [.. bin.Kernels.Select(k => CoveredEntry.Of(k.BuildId, k.Version, k.Sha256, k.Size))];

    [Fact]
    public void SerializeEntries_SameBytesAsTheRecord_ForRandomBinsAndTheEmptyOne()
    {
        var random = new Random(20261130);
        for (var round = 0; round < 200; round++)
        {
            var kernels = Enumerable.Range(0, random.Next(0, 60))
                .Select(_ => "01" + Convert.ToHexStringLower(RandomBytes(random, random.Next(7, 64))))
                .Distinct().Order(StringComparer.Ordinal)
                .Select(id => new CoveredKernel
                {
                    BuildId = id,
                    Version = (ulong)random.NextInt64(0, (long)ManifestLimits.MaxVersion + 1),
                    Sha256 = Convert.ToHexStringLower(RandomBytes(random, 32)),
                    Size = random.NextInt64(1, ManifestLimits.MaxSignedManifestSize + 1),
                }).ToList();
            var bin = SampleCoverageBins.Bin() with { Kernels = kernels, Version = (ulong)round, Channel = round % 2 == 0 ? "stable" : "beta+1" };

            var fast = CoverageBinSerializer.Serialize(bin with { Kernels = [] }, Entries(bin));

            Assert.Equal(CoverageBinSerializer.Serialize(bin), fast);
            Assert.Equal(kernels, CoverageBinSerializer.Deserialize(fast).Kernels);
        }
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>The invalid bins but those with a malformed SHA-256: an entry's is 32 bytes, there is no hex to refuse.</summary>
    public static TheoryData<string, CoverageBin> InvalidBinsButTheirHashes()
    {
        var data = new TheoryData<string, CoverageBin>();
        foreach (var row in InvalidBins())
        {
            var (what, bin) = ((string)row[0], (CoverageBin)row[1]);
            if (!what.StartsWith("sha256", StringComparison.Ordinal))
            {
                data.Add(what, bin);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(InvalidBinsButTheirHashes))]
    public void SerializeEntries_InvalidBin_ThrowsCoverageMalformedAsTheRecordDoes(string what, CoverageBin bin)
    {
        var e = Assert.Throws<LivePatchFormatException>(() => CoverageBinSerializer.Serialize(bin with { Kernels = [] }, Entries(bin)));

        Assert.True(e.Code == ErrorCodes.CoverageMalformed, $"{what}: {e.Code}");
    }

    /// <summary>Parsing applies the same rules as writing: here two entries swapped in valid JSON.</summary>
    [Fact]
    public void Deserialize_UnsortedKernels_ThrowsCoverageMalformedNamingTheEntry()
    {
        var json = Encoding.UTF8.GetString(CoverageBinSerializer.Serialize(SampleCoverageBins.Bin()))
            .Replace(SampleCoverageBins.FirstBuildId, "01fffffffffffffffffffffffffffffffffffffe", StringComparison.Ordinal);

        var e = Assert.Throws<LivePatchFormatException>(() => CoverageBinSerializer.Deserialize(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(ErrorCodes.CoverageMalformed, e.Code);
        Assert.Contains("$.kernels[1].buildId", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_DuplicateProperty_ThrowsCoverageMalformed()
    {
        var json = Encoding.UTF8.GetString(CoverageBinSerializer.Serialize(SampleCoverageBins.Bin()))
            .Replace("\"prefix\":\"01\"", "\"prefix\":\"01\",\"prefix\":\"02\"", StringComparison.Ordinal);

        var e = Assert.Throws<LivePatchFormatException>(() => CoverageBinSerializer.Deserialize(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(ErrorCodes.CoverageMalformed, e.Code);
    }

    [Fact]
    public void Deserialize_NullEntry_ThrowsCoverageMalformed()
    {
        var json = Encoding.UTF8.GetString(CoverageBinSerializer.Serialize(SampleCoverageBins.Bin() with { Kernels = [] }))
            .Replace("\"kernels\":[]", "\"kernels\":[null]", StringComparison.Ordinal);

        var e = Assert.Throws<LivePatchFormatException>(() => CoverageBinSerializer.Deserialize(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(ErrorCodes.CoverageMalformed, e.Code);
    }

    /// <summary>The counting pass looks at <c>$.kernels</c> only, not at a nested property that happens to share the name.</summary>
    [Fact]
    public void Deserialize_NestedUnknownKernelsProperty_IsIgnored()
    {
        var json = Encoding.UTF8.GetString(CoverageBinSerializer.Serialize(SampleCoverageBins.Bin()))
            .Replace("{\"schema\":1,", "{\"extra\":{\"kernels\":[1,2,3]},\"schema\":1,", StringComparison.Ordinal);

        Assert.Equal(3, CoverageBinSerializer.Deserialize(Encoding.UTF8.GetBytes(json)).Kernels.Count);
    }
}
