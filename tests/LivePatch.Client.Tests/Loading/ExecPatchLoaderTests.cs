using LivePatch.Client.Loading;

namespace LivePatch.Client.Tests.Loading;

public sealed class ExecPatchLoaderTests
{
    /// <summary>A site command that dumps its LPATCH_* environment, prints a list, and exits with the code in a file.</summary>
    private static ExecPatchLoader Loader(FakeKernel kernel, string listOutput = "", int exitCode = 0)
    {
        var command = kernel.Script("site-loader", $"""
            env | grep '^LPATCH_' | sort > '{kernel.Root}/env.txt'
            [ "$LPATCH_ACTION" = list ] && printf '{listOutput}'
            [ {exitCode} = 0 ] || echo "site loader refused" >&2
            exit {exitCode}
            """);
        return new ExecPatchLoader(new LoaderOptions { Kind = "exec", Command = command, CommandTimeout = TimeSpan.FromSeconds(10) }, TimeProvider.System);
    }

    private static string[] Environment(FakeKernel kernel) => File.ReadAllLines(Path.Combine(kernel.Root, "env.txt"));

    [Fact]
    public async Task ApplyAsync_Succeeds_PassesEveryVariable()
    {
        using var kernel = new FakeKernel();
        var sha = new string('c', 64);
        var buildId = new string('d', 40);
        var patch = new PatchToApply("lp_sample", 7, sha, FakeKernel.FixtureModule(), true, ["lp_old1", "lp_old2"],
            "6.1.0-56-amd64", buildId, ["CVE-2024-1086", "CVE-2024-26581"]);

        var result = await Loader(kernel).ApplyAsync(patch, CancellationToken.None);

        Assert.True(result.Success, result.Message);
        Assert.Equal(
            [
                "LPATCH_ACTION=apply",
                $"LPATCH_BUILD_ID={buildId}",
                "LPATCH_CVES=CVE-2024-1086 CVE-2024-26581",
                $"LPATCH_FILE={FakeKernel.FixtureModule()}",
                "LPATCH_KERNEL_RELEASE=6.1.0-56-amd64",
                "LPATCH_LEVEL=7",
                "LPATCH_NAME=lp_sample",
                "LPATCH_REPLACE=1",
                "LPATCH_REPLACES=lp_old1 lp_old2",
                $"LPATCH_SHA256={sha}",
            ],
            Environment(kernel));
    }

    [Fact]
    public void Environment_HostileCvesAndRelease_NeverReachTheCommand()
    {
        var patch = new PatchToApply("lp_sample", 7, new string('c', 64), FakeKernel.FixtureModule(), false,
            ["lp_old", "../x", "a b"], "6.1.0\u001b[2J", new string('d', 40),
            ["CVE-2024-1\u001b[2J", "CVE-2024-1086\n", "CVE-2024-1086", "CVE-2024-٣٣٣٣", "cve-2024-1234", "CVE-2024-123", "CVE-2024-26581"]);

        var environment = ExecPatchLoader.Environment("apply", patch);

        Assert.Equal("CVE-2024-1086 CVE-2024-26581", environment["LPATCH_CVES"]);
        Assert.Equal("lp_old", environment["LPATCH_REPLACES"]);
        Assert.False(environment.ContainsKey("LPATCH_KERNEL_RELEASE"));
        Assert.DoesNotContain(environment.Values, v => v.Any(c => char.IsControl(c)));
    }

    [Theory]
    [InlineData("6.1.0 56")]
    [InlineData("6.1.0-56\n")]
    [InlineData("6.1.0-é")]
    [InlineData("")]
    public void Environment_KernelReleaseNotPrintableAscii_Omitted(string release)
    {
        var patch = new PatchToApply("lp_sample", 1, new string('c', 64), FakeKernel.FixtureModule(), false, [], release, new string('d', 40), []);

        Assert.False(ExecPatchLoader.Environment("apply", patch).ContainsKey("LPATCH_KERNEL_RELEASE"));
    }

    [Theory]
    [InlineData("lp\nx", "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", "dddddddddddddddd", "LPATCH_NAME")]
    [InlineData("lp_sample", "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC", "dddddddddddddddd", "LPATCH_SHA256")]
    [InlineData("lp_sample", "cccc", "dddddddddddddddd", "LPATCH_SHA256")]
    [InlineData("lp_sample", "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", "ab", "LPATCH_BUILD_ID")]
    [InlineData("lp_sample", "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", "dddddddddddddddd\n", "LPATCH_BUILD_ID")]
    public void Environment_NameSha256OrBuildIdMalformed_Omitted(string name, string sha256, string buildId, string omitted)
    {
        var patch = new PatchToApply(name, 1, sha256, FakeKernel.FixtureModule(), false, [], "6.1.0", buildId, []);

        var environment = ExecPatchLoader.Environment("apply", patch);

        Assert.False(environment.ContainsKey(omitted));
        Assert.Equal(9, environment.Count); // the other nine are there
    }

    [Fact]
    public async Task ApplyAsync_CveWithEscapeAndNewline_CommandSeesOnlyValidIds()
    {
        using var kernel = new FakeKernel();
        var patch = new PatchToApply("lp_sample", 1, new string('c', 64), FakeKernel.FixtureModule(), false, [], "6.1.0-56-amd64",
            new string('d', 40), ["CVE-2024-1\u001b[2J", "CVE-2024-1086\nLPATCH_EVIL=1", "CVE-2024-1086"]);

        var result = await Loader(kernel).ApplyAsync(patch, CancellationToken.None);

        Assert.True(result.Success, result.Message);
        var lines = Environment(kernel);
        Assert.Contains("LPATCH_CVES=CVE-2024-1086", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("LPATCH_EVIL", StringComparison.Ordinal) || l.Contains('\u001b'));
    }

    [Fact]
    public async Task ApplyAsync_CommandFails_ReturnsExecFailedWithStderr()
    {
        using var kernel = new FakeKernel();
        var patch = new PatchToApply("lp_sample", 1, new string('c', 64), FakeKernel.FixtureModule(), false, [], "6.1", "ab", []);

        var result = await Loader(kernel, exitCode: 3).ApplyAsync(patch, CancellationToken.None);

        Assert.Equal(LoaderErrorCodes.ExecFailed, result.Code);
        Assert.Contains("exited with 3", result.Message);
        Assert.Contains("site loader refused", result.Message);
    }

    [Fact]
    public async Task RemoveAsync_Succeeds_PassesActionAndName()
    {
        using var kernel = new FakeKernel();

        var result = await Loader(kernel).RemoveAsync("lp_sample", CancellationToken.None);

        Assert.True(result.Success, result.Message);
        Assert.Equal(["LPATCH_ACTION=remove", "LPATCH_NAME=lp_sample"], Environment(kernel));
    }

    [Fact]
    public async Task ListAsync_NamesWithOptionalState_ParsesThem()
    {
        using var kernel = new FakeKernel();

        var list = await Loader(kernel, @"lp_a\nlp_b enabled\nlp_c disabled\n../bad\n").ListAsync(CancellationToken.None);

        Assert.Equal([new LoadedPatch("lp_a", true, false), new LoadedPatch("lp_b", true, false), new LoadedPatch("lp_c", false, false)], list);
        Assert.Equal(["LPATCH_ACTION=list"], Environment(kernel));
    }

    [Fact]
    public async Task ListAsync_CommandFails_Throws()
    {
        using var kernel = new FakeKernel();

        await Assert.ThrowsAsync<LoaderCommandException>(() => Loader(kernel, exitCode: 1).ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task RemoveAsync_CommandHangs_IsKilledAfterTheTimeout()
    {
        using var kernel = new FakeKernel();
        var command = kernel.Script("hangs", "sleep 30\n");
        var loader = new ExecPatchLoader(new LoaderOptions { Command = command, CommandTimeout = TimeSpan.FromMilliseconds(300) }, TimeProvider.System);

        var result = await loader.RemoveAsync("lp_sample", CancellationToken.None);

        Assert.Equal(LoaderErrorCodes.ExecFailed, result.Code);
        Assert.Contains("timed out", result.Message);
    }
}
