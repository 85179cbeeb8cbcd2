using LivePatch.Core.Manifests;

namespace LivePatch.Core.Tests.Manifests;

public sealed class CoverageBinTests
{
    [Theory]
    [InlineData(SampleCoverageBins.FirstBuildId)]
    [InlineData(SampleManifests.BuildId)]
    [InlineData(SampleCoverageBins.LastBuildId)]
    public void FindOrNull_CoveredBuildId_ReturnsItsEntry(string buildId)
    {
        var kernel = SampleCoverageBins.Bin().FindOrNull(buildId);

        Assert.Equal(buildId, kernel?.BuildId);
    }

    [Theory]
    [InlineData(SampleCoverageBins.AbsentBuildId)]
    [InlineData("0000000000000000")]
    [InlineData("01000000000000000000")]
    [InlineData("ffffffffffffffff")]
    public void FindOrNull_UncoveredBuildId_ReturnsNull(string buildId) =>
        Assert.Null(SampleCoverageBins.Bin().FindOrNull(buildId));

    [Fact]
    public void FindOrNull_EmptyBin_ReturnsNull() =>
        Assert.Null((SampleCoverageBins.Bin() with { Kernels = [] }).FindOrNull(SampleManifests.BuildId));

    [Fact]
    public void FindOrNull_CaseDiffers_ReturnsNull() =>
        Assert.Null(SampleCoverageBins.Bin().FindOrNull(SampleManifests.BuildId.ToUpperInvariant()));

    [Fact]
    public void FindOrNull_EveryEntryOfALargeBin_FoundAndNeighboursNot()
    {
        var kernels = Enumerable.Range(0, 1000).Select(i => SampleCoverageBins.Kernel($"01{i * 2:x6}00000000", (ulong)i)).ToList();
        var bin = SampleCoverageBins.Bin() with { Kernels = kernels };

        foreach (var (kernel, i) in kernels.Select((k, i) => (k, i)))
        {
            Assert.Same(kernel, bin.FindOrNull(kernel.BuildId));
            Assert.Null(bin.FindOrNull($"01{(i * 2) + 1:x6}00000000"));
        }
    }

    [Fact]
    public void PrefixOf_BuildId_ReturnsFirstTwoHexDigits() =>
        Assert.Equal("01", CoverageBin.PrefixOf(SampleManifests.BuildId));

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("AB0123456789abcd")]
    [InlineData("zz0123456789abcd")]
    public void PrefixOf_NotLowercaseHex_Throws(string buildId) =>
        Assert.Throws<ArgumentException>(() => CoverageBin.PrefixOf(buildId));
}
