using LivePatch.Core.Manifests;

namespace LivePatch.Core.Tests.Manifests;

public sealed class ManifestExpectationsTests
{
    private static readonly ManifestExpectations Asked = new("example-repo", "stable", SampleManifests.BuildId);

    [Fact]
    public void Check_SameRepositoryChannelBuildId_ReturnsNull() =>
        Assert.Null(Asked.Check(SampleManifests.Manifest()));

    [Fact]
    public void Check_OtherRepository_ReturnsWrongRepository() =>
        Assert.Equal(ErrorCodes.ManifestWrongRepository, Asked.Check(SampleManifests.Manifest() with { Repository = "other" })?.Code);

    [Fact]
    public void Check_OtherChannel_ReturnsWrongChannel() =>
        Assert.Equal(ErrorCodes.ManifestWrongChannel, Asked.Check(SampleManifests.Manifest() with { Channel = "Stable" })?.Code);

    [Fact]
    public void CheckMatches_OtherBuildId_ReturnsWrongBuildId()
    {
        var issue = ManifestExpectations.CheckMatches(SampleManifests.Manifest(), "example-repo", "stable", "ffffffffffffffff");

        Assert.Equal(ErrorCodes.ManifestWrongBuildId, issue?.Code);
    }
}
