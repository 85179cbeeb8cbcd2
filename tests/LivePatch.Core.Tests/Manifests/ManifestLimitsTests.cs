using System.Text;
using LivePatch.Core.Manifests;

namespace LivePatch.Core.Tests.Manifests;

/// <summary>One case per cap in <see cref="ManifestLimits"/>: a manifest signed by a compromised or buggy key is refused, never a crash.</summary>
public sealed class ManifestLimitsTests
{
    private static readonly DateTimeOffset Far = new(9999, 12, 31, 0, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, Manifest> OverTheCaps()
    {
        var m = SampleManifests.Manifest();
        var p = m.Patches[0];
        var r = m.Revoked[0];
        return new()
        {
            { "version 2^53", m with { Version = ManifestLimits.MaxVersion + 1 } },
            { "version ulong max", m with { Version = ulong.MaxValue } },
            { "issued 1999", m with { Issued = new DateTimeOffset(1999, 12, 31, 0, 0, 0, TimeSpan.Zero) } },
            { "expires 9999", m with { Expires = Far } },
            { "published 9999-12-31", m with { Patches = [p with { Published = Far }] } },
            { "published year 1", m with { Patches = [p with { Published = DateTimeOffset.MinValue }] } },
            { "revokedAt 9999-12-31", m with { Revoked = [r with { RevokedAt = Far }] } },
            { "size 0", m with { Patches = [p with { Size = 0 }] } },
            { "size 2 GiB", m with { Patches = [p with { Size = ManifestLimits.MaxPatchSize + 1 }] } },
            { "level int.MaxValue", m with { Patches = [p with { Level = int.MaxValue }] } },
            { "level above MaxLevel", m with { Patches = [p with { Level = ManifestLimits.MaxLevel + 1 }] } },
            { "revoked level int.MaxValue", m with { Revoked = [r with { Level = int.MaxValue }] } },
            { "too many patches", m with { Patches = Enumerable.Range(1, ManifestLimits.MaxEntries + 1).Select(i => p with { Level = i % ManifestLimits.MaxLevel + 1, Name = $"lp{i}" }).ToList() } },
            { "too many revoked", m with { Revoked = Enumerable.Range(1, ManifestLimits.MaxEntries + 1).Select(i => r with { Name = $"lp{i}" }).ToList() } },
            { "too many CVEs", m with { Patches = [p with { Cves = Enumerable.Range(1000, ManifestLimits.MaxCvesPerPatch + 1).Select(i => $"CVE-2024-{i}").ToList() }] } },
            { "Arabic-Indic CVE", m with { Patches = [p with { Cves = ["CVE-٢٠٢٤-١٠٨٦"] }] } },
            { "CVE with newline", m with { Patches = [p with { Cves = ["CVE-2024-1086\n"] }] } },
            { "CVE 20 digits", m with { Patches = [p with { Cves = ["CVE-2024-" + new string('1', 20)] }] } },
            { "CVE lowercase", m with { Patches = [p with { Cves = ["cve-2024-1086"] }] } },
            { "description 16 KiB + 1", m with { Patches = [p with { Description = new string('x', ManifestLimits.MaxDescriptionLength + 1) }] } },
            { "description escape", m with { Patches = [p with { Description = "fix\u001b[2J" }] } },
            { "reason 4 KiB + 1", m with { Revoked = [r with { Reason = new string('x', ManifestLimits.MaxReasonLength + 1) }] } },
            { "reason NUL", m with { Revoked = [r with { Reason = "crash\0" }] } },
            { "signer 257", m with { Patches = [p with { Signer = new string('a', ManifestLimits.MaxShortTextLength + 1) }] } },
            { "signer newline", m with { Patches = [p with { Signer = "1a:2b\n" }] } },
            { "severity C1", m with { Patches = [p with { Severity = "high\u0085" }] } },
            { "kernelRelease DEL", m with { KernelRelease = "6.1.0\u007f" } },
            { "kernelRelease 257", m with { KernelRelease = new string('6', 257) } },
            { "repository tab", m with { Repository = "example\trepo" } },
            { "channel 257", m with { Channel = new string('s', 257) } },
        };
    }

    [Theory]
    [MemberData(nameof(OverTheCaps))]
    public void Serialize_OverACap_ThrowsManifestMalformed(string rule, Manifest manifest)
    {
        var e = Assert.Throws<LivePatchFormatException>(() => ManifestSerializer.Serialize(manifest));

        Assert.True(e.Error == ErrorCodes.ManifestMalformed, $"{rule}: {e.Code}");
    }

    [Theory]
    [InlineData("\"version\":42", "\"version\":9007199254740992")]
    [InlineData("\"level\":1,", "\"level\":2147483647,")]
    [InlineData("CVE-2024-0001", "CVE-\\u0662\\u0660\\u0662\\u0664-\\u0661\\u0660\\u0668\\u0666")]
    public void Deserialize_SignedJsonOverACap_ThrowsManifestMalformed(string valid, string hostile)
    {
        var json = Encoding.UTF8.GetString(ManifestSerializer.Serialize(SampleManifests.Manifest()));
        Assert.Contains(valid, json, StringComparison.Ordinal);

        var e = Assert.Throws<LivePatchFormatException>(() =>
            ManifestSerializer.Deserialize(Encoding.UTF8.GetBytes(json.Replace(valid, hostile, StringComparison.Ordinal))));

        Assert.Equal(ErrorCodes.ManifestMalformed, e.Error);
    }

    [Fact]
    public void Deserialize_PublishedYear9999_ThrowsManifestMalformed()
    {
        var json = Encoding.UTF8.GetString(ManifestSerializer.Serialize(SampleManifests.Manifest()));

        var hostile = new System.Text.RegularExpressions.Regex("\"published\":\"[^\"]*\"").Replace(json, "\"published\":\"9999-12-31T00:00:00+00:00\"", 1);

        Assert.NotEqual(json, hostile);
        var e = Assert.Throws<LivePatchFormatException>(() => ManifestSerializer.Deserialize(Encoding.UTF8.GetBytes(hostile)));
        Assert.Equal(ErrorCodes.ManifestMalformed, e.Error);
    }

    [Fact]
    public void Serialize_AtTheCaps_Accepted()
    {
        var m = SampleManifests.Manifest();
        var p = m.Patches[0];
        var atCaps = m with
        {
            Version = ManifestLimits.MaxVersion,
            Patches =
            [
                p with
                {
                    Level = ManifestLimits.MaxLevel, Size = ManifestLimits.MaxPatchSize, Cves = ["CVE-2024-1234567890123456789"],
                    Description = "line one\n\tline two" + new string('x', ManifestLimits.MaxDescriptionLength - 18),
                    Signer = new string('a', ManifestLimits.MaxShortTextLength), Published = ManifestLimits.MaxDate,
                },
            ],
            Revoked = [m.Revoked[0] with { Reason = "crash\non boot", RevokedAt = ManifestLimits.MinDate }],
        };

        var back = ManifestSerializer.Deserialize(ManifestSerializer.Serialize(atCaps));

        Assert.Equal(ManifestLimits.MaxVersion, back.Version);
    }

    public static TheoryData<string, RepositoryIndex> IndexOverTheCaps()
    {
        var index = SampleManifests.Index();
        var e = index.Bins[0];
        return new()
        {
            { "version 2^53", index with { Version = ManifestLimits.MaxVersion + 1 } },
            { "entry version 2^53", index with { Bins = [e with { Version = ManifestLimits.MaxVersion + 1 }] } },
            { "expires 9999", index with { Expires = Far } },
            { "issued 1999", index with { Issued = new DateTimeOffset(1999, 1, 1, 0, 0, 0, TimeSpan.Zero) } },
            { "repository NUL", index with { Repository = "repo\0" } },
            { "channel 257", index with { Bins = [e with { Channel = new string('c', 257) }] } },
            { "size 16 MiB + 1", index with { Bins = [e with { Size = ManifestLimits.MaxSignedManifestSize + 1 }] } },
            { "prefix of three", index with { Bins = [e with { Prefix = "abc" }] } },
            { "prefix uppercase", index with { Bins = [e with { Prefix = "AB" }] } },
        };
    }

    [Theory]
    [MemberData(nameof(IndexOverTheCaps))]
    public void SerializeIndex_OverACap_ThrowsIndexMalformed(string rule, RepositoryIndex index)
    {
        var e = Assert.Throws<LivePatchFormatException>(() => ManifestSerializer.Serialize(index));

        Assert.True(e.Error == ErrorCodes.IndexMalformed, $"{rule}: {e.Code}");
    }
}
