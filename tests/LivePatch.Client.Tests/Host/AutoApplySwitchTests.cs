using LivePatch.Client.Host;

namespace LivePatch.Client.Tests.Host;

public sealed class AutoApplySwitchTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-switch-").FullName;
    private readonly ClientOptions _options;

    public AutoApplySwitchTests()
    {
        _options = new ClientOptions
        {
            KernelCommandLinePath = Path.Combine(_root, "cmdline"),
            DisableFile = Path.Combine(_root, "disabled"),
        };
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("BOOT_IMAGE=/vmlinuz-6.1.0-56-amd64 root=UUID=abc ro lpatch.disable=1 quiet\n")]
    [InlineData("BOOT_IMAGE=/vmlinuz ro lpatch.disable\n")]
    [InlineData("lpatch.disable=0 lpatch.disable=y")]
    public void IsDisabled_CommandLineWord_ReturnsTrue(string commandLine)
    {
        File.WriteAllText(_options.KernelCommandLinePath, commandLine);

        Assert.True(AutoApplySwitch.IsDisabled(_options, out var reason));
        Assert.Contains("kernel command line", reason);
    }

    [Theory]
    [InlineData("BOOT_IMAGE=/vmlinuz ro quiet\n")]
    [InlineData("ro lpatch.disable=0\n")]
    [InlineData("ro xlpatch.disable=1 lpatch.disabled=1\n")]
    public void IsDisabled_NoSwitch_ReturnsFalse(string commandLine)
    {
        File.WriteAllText(_options.KernelCommandLinePath, commandLine);

        Assert.False(AutoApplySwitch.IsDisabled(_options, out var reason));
        Assert.Equal("", reason);
    }

    [Fact]
    public void IsDisabled_DisableFileExists_ReturnsTrue()
    {
        File.WriteAllText(_options.KernelCommandLinePath, "ro quiet\n");
        File.WriteAllText(_options.DisableFile, "");

        Assert.True(AutoApplySwitch.IsDisabled(_options, out var reason));
        Assert.Contains(_options.DisableFile, reason);
    }

    [Fact]
    public void IsDisabled_NoCommandLineFile_ReturnsFalse()
    {
        Assert.False(AutoApplySwitch.IsDisabled(_options, out _));
    }
}
