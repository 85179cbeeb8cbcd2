using LivePatch.Core.Manifests;

namespace LivePatch.Core.Tests.Manifests;

public sealed class CoverageExpectationsTests
{
    private static readonly CoverageExpectations Asked = CoverageExpectations.For("example-repo", "stable", SampleManifests.BuildId);

    [Fact]
    public void For_BuildId_AsksForItsPrefix() => Assert.Equal("01", Asked.Prefix);

    [Fact]
    public void Check_SameRepositoryChannelPrefix_ReturnsNull() => Assert.Null(Asked.Check(SampleCoverageBins.Bin()));

    [Fact]
    public void Check_OtherRepository_ReturnsWrongRepository() =>
        Assert.Equal(ErrorCodes.CoverageWrongRepository, Asked.Check(SampleCoverageBins.Bin() with { Repository = "other" })?.Code);

    [Fact]
    public void Check_OtherChannel_ReturnsWrongChannel() =>
        Assert.Equal(ErrorCodes.CoverageWrongChannel, Asked.Check(SampleCoverageBins.Bin() with { Channel = "Stable" })?.Code);

    /// <summary>A bin of another prefix never holds the host's build ID: accepted, it would read as "not covered".</summary>
    [Fact]
    public void CheckMatches_OtherPrefix_ReturnsWrongPrefix()
    {
        var issue = CoverageExpectations.CheckMatches(SampleCoverageBins.Bin() with { Prefix = "02", Kernels = [] }, "example-repo", "stable", "01");

        Assert.Equal(ErrorCodes.CoverageWrongPrefix, issue?.Code);
    }
}
