namespace LivePatch.Cli.Tests;

/// <summary>"--api-key ... Never printed": not even by the usage error of a command that takes no key, which repeats the
/// tokens it did not recognise.</summary>
public sealed class SecretOptionTests
{
    private const string Secret = "lp_4f1c2e-secret-value-77";

    [Theory]
    [InlineData("kernel", "build-id", "--notes", "x", "--api-key", Secret)]
    [InlineData("kernel", "build-id", "--notes", "x", "--api-key=" + Secret)]
    [InlineData("kernel", "build-id", "--notes", "x", "--api-key:" + Secret)]
    [InlineData("status", "--api-key", Secret, "--bogus")]
    public void UsageError_KeyOnTheCommandLine_NotPrinted(params string[] args)
    {
        var run = Lpatch.Run(args);

        Assert.Equal(2, run.Exit);
        Assert.DoesNotContain(Secret, run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, run.Output, StringComparison.Ordinal);
        Assert.Contains("lpatch: ", run.Error, StringComparison.Ordinal);
    }
}
