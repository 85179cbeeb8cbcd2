using System.Text;
using LivePatch.Core.Manifests;

namespace LivePatch.Core.Tests.Manifests;

public sealed class ManifestSerializerTests
{
    [Fact]
    public void Serialize_ValidManifest_RoundTripsEqualFields()
    {
        var manifest = SampleManifests.Manifest();

        var back = ManifestSerializer.Deserialize(ManifestSerializer.Serialize(manifest));

        Assert.Equal(ManifestSerializer.Serialize(manifest), ManifestSerializer.Serialize(back));
        Assert.Equal(manifest.Version, back.Version);
        Assert.Equal(manifest.Patches[0].Cves, back.Patches[0].Cves);
        Assert.Equal(manifest.Revoked, back.Revoked);
    }

    [Fact]
    public void Serialize_ValidManifest_UsesCamelCaseAndOmitsNulls()
    {
        var json = Encoding.UTF8.GetString(ManifestSerializer.Serialize(SampleManifests.Manifest()));

        Assert.Contains("\"buildId\":", json, StringComparison.Ordinal);
        Assert.Contains("\"revokedAt\":", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"severity\":null", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"schema\":1}")]
    public void Deserialize_MalformedJson_ThrowsManifestMalformed(string json)
    {
        var e = Assert.Throws<LivePatchFormatException>(() => ManifestSerializer.Deserialize(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(ErrorCodes.ManifestMalformed, e.Code);
    }

    [Fact]
    public void Deserialize_MissingRequiredField_MessageNamesTheField()
    {
        var json = Encoding.UTF8.GetString(ManifestSerializer.Serialize(SampleManifests.Manifest()))
            .Replace("\"kernelRelease\":\"6.1.0-28-amd64\",", "", StringComparison.Ordinal);

        var e = Assert.Throws<LivePatchFormatException>(() => ManifestSerializer.Deserialize(Encoding.UTF8.GetBytes(json)));

        Assert.Contains("kernelRelease", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_NullForNonNullableField_ThrowsManifestMalformed()
    {
        var json = Encoding.UTF8.GetString(ManifestSerializer.Serialize(SampleManifests.Manifest()))
            .Replace("\"channel\":\"stable\"", "\"channel\":null", StringComparison.Ordinal);

        var e = Assert.Throws<LivePatchFormatException>(() => ManifestSerializer.Deserialize(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(ErrorCodes.ManifestMalformed, e.Code);
    }

    [Fact]
    public void Deserialize_DuplicateProperty_ThrowsManifestMalformed()
    {
        var json = Encoding.UTF8.GetString(ManifestSerializer.Serialize(SampleManifests.Manifest()))
            .Replace("\"channel\":\"stable\"", "\"channel\":\"stable\",\"channel\":\"beta\"", StringComparison.Ordinal);

        var e = Assert.Throws<LivePatchFormatException>(() => ManifestSerializer.Deserialize(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(ErrorCodes.ManifestMalformed, e.Code);
    }

    public static TheoryData<Manifest> InvalidManifests()
    {
        var m = SampleManifests.Manifest();
        var p = m.Patches[0];
        return
        [
            m with { Schema = 2 },
            m with { BuildId = "0123456789ABCDEF0123" },
            m with { BuildId = "0123456789abcde" },
            m with { BuildId = new string('a', 130) },
            m with { Repository = "" },
            m with { Expires = m.Issued },
            m with { Patches = [p with { Level = 0 }] },
            m with { Patches = [p with { Size = -1 }] },
            m with { Patches = [p with { Sha256 = "abc" }] },
            m with { Patches = [p with { Name = "../etc" }] },
            m with { Patches = [p, p with { Sha256 = SampleManifests.Sha }] },
            m with { Revoked = [m.Revoked[0] with { Level = -1 }] },
        ];
    }

    [Theory]
    [MemberData(nameof(InvalidManifests))]
    public void Serialize_InvalidManifest_ThrowsManifestMalformed(Manifest manifest)
    {
        var e = Assert.Throws<LivePatchFormatException>(() => ManifestSerializer.Serialize(manifest));

        Assert.Equal(ErrorCodes.ManifestMalformed, e.Code);
    }

    /// <summary>Messages are formatted only when a rule fails: each still names the element, the field and the rule.</summary>
    public static TheoryData<string, Manifest, string> InvalidFields()
    {
        var m = SampleManifests.Manifest();
        var p = m.Patches[0];
        var r = m.Revoked[0];
        return new()
        {
            { "patch sha256", m with { Patches = [p, p with { Level = 2, Sha256 = "ABC" }] }, "$.patches[1].sha256: must be 64 lowercase hex characters." },
            { "patch size", m with { Patches = [p with { Size = 0 }] }, $"$.patches[0].size: must be 1 to {int.MaxValue}." },
            { "patch date", m with { Patches = [p with { Published = new DateTimeOffset(1999, 1, 1, 0, 0, 0, TimeSpan.Zero) }] },
                "$.patches[0].published: must be between 2000-01-01 and 2200-01-01." },
            { "duplicate", m with { Patches = [p, p with { Sha256 = SampleManifests.Sha }] }, $"$.patches[1]: duplicate {p.Name} level {p.Level}." },
            { "signer control", m with { Patches = [p with { Signer = "a\u009bb" }] }, "$.patches[0].signer: at most 256 characters, no control characters." },
            { "reason control", m with { Revoked = [r with { Reason = "a\u001b[2Jb" }] }, "$.revoked[0].reason: at most 4096 characters, no control characters but newline and tab." },
            { "revoked level", m with { Revoked = [r, r with { Level = 0 }] }, "$.revoked[1].level: must be 1 to 1000000." },
        };
    }

    [Theory]
    [MemberData(nameof(InvalidFields))]
    public void Serialize_InvalidField_MessageNamesElementFieldAndRule(string what, Manifest manifest, string message)
    {
        var e = Assert.Throws<LivePatchFormatException>(() => ManifestSerializer.Serialize(manifest));

        Assert.True(e.Message == message, $"{what}: {e.Message}");
    }

    [Fact]
    public void SerializeIndex_BadBinHash_MessageNamesTheBin()
    {
        var index = SampleManifests.Index();
        var bad = index with { Bins = [index.Bins[0], index.Bins[0] with { Prefix = "ff", Sha256 = "00" }] };

        var e = Assert.Throws<LivePatchFormatException>(() => ManifestSerializer.Serialize(bad));

        Assert.Equal(ErrorCodes.IndexMalformed, e.Code);
        Assert.Equal("$.bins[1].sha256: must be 64 lowercase hex characters.", e.Message);
    }

    [Fact]
    public void IsProse_NewlineAndTabOnly_TrueAnyOtherControlFalse()
    {
        Assert.True(ManifestLimits.IsProse("line one\n\tline two", 100));
        Assert.False(ManifestLimits.IsProse("bell\u0007", 100));
        Assert.False(ManifestLimits.IsProse("del\u007f", 100));
        Assert.False(ManifestLimits.IsProse("csi\u009b", 100));
        Assert.True(ManifestLimits.IsProse("nbsp\u00a0 é", 100));
        Assert.False(ManifestLimits.IsProse(new string('a', 101), 100));
    }

    [Fact]
    public void DeserializeIndex_ValidIndex_RoundTrips()
    {
        var index = SampleManifests.Index();

        var back = ManifestSerializer.DeserializeIndex(ManifestSerializer.Serialize(index));

        Assert.Equal(index.Bins, back.Bins);
        Assert.Equal(index.Version, back.Version);
    }

    [Fact]
    public void DeserializeIndex_DuplicateEntry_ThrowsIndexMalformed()
    {
        var index = SampleManifests.Index();
        var json = ManifestSerializer.Serialize(index with { Bins = [] });
        var dup = Encoding.UTF8.GetString(json).Replace("\"bins\":[]",
            "\"bins\":[" + Entry(index) + "," + Entry(index) + "]", StringComparison.Ordinal);

        var e = Assert.Throws<LivePatchFormatException>(() => ManifestSerializer.DeserializeIndex(Encoding.UTF8.GetBytes(dup)));

        Assert.Equal(ErrorCodes.IndexMalformed, e.Code);
    }

    private static string Entry(RepositoryIndex index)
    {
        var json = Encoding.UTF8.GetString(ManifestSerializer.Serialize(index));
        var start = json.IndexOf("[{", StringComparison.Ordinal) + 1;
        return json[start..json.IndexOf("}]", StringComparison.Ordinal)] + "}";
    }
}

public sealed class ManifestUpstreamTests
{
    private static Manifest WithUpstream(string repository, ulong version) => SampleManifests.Manifest() with
    {
        Patches = [SampleManifests.Manifest().Patches[0] with { Upstream = new PatchUpstream { Repository = repository, Version = version } }],
    };

    [Fact]
    public void Serialize_PatchWithUpstream_WritesTheObjectAndRoundTrips()
    {
        var bytes = ManifestSerializer.Serialize(WithUpstream("vendor", 42));

        Assert.Contains("\"upstream\":{\"repository\":\"vendor\",\"version\":42}", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.Equal(new PatchUpstream { Repository = "vendor", Version = 42 }, ManifestSerializer.Deserialize(bytes).Patches[0].Upstream);
    }

    [Fact]
    public void Serialize_PatchWithoutUpstream_LeavesTheMemberOut()
    {
        Assert.DoesNotContain("upstream", Encoding.UTF8.GetString(ManifestSerializer.Serialize(SampleManifests.Manifest())), StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_UnknownMembersInUpstream_AreIgnoredAsForOlderHosts()
    {
        // A later server may say more about provenance; a host of today reads on, as hosts from before `upstream` read it.
        var json = Encoding.UTF8.GetString(ManifestSerializer.Serialize(WithUpstream("vendor", 7)))
            .Replace("\"version\":7}", "\"version\":7,\"patchId\":\"12\",\"extra\":{\"a\":[1]}}", StringComparison.Ordinal);

        Assert.Equal("vendor", ManifestSerializer.Deserialize(Encoding.UTF8.GetBytes(json)).Patches[0].Upstream!.Repository);
    }

    [Theory]
    [InlineData("", 1UL)]
    [InlineData("ven\u001bdor", 1UL)]
    [InlineData("vendor", ManifestLimits.MaxVersion + 1)]
    public void Serialize_UpstreamOutsideTheCaps_ThrowsManifestMalformed(string repository, ulong version)
    {
        var e = Assert.Throws<LivePatchFormatException>(() => ManifestSerializer.Serialize(WithUpstream(repository, version)));

        Assert.Equal(ErrorCodes.ManifestMalformed, e.Code);
        Assert.Contains("upstream", e.Message, StringComparison.Ordinal);
    }
}
