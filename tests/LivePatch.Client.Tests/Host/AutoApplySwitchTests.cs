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
    [InlineData("ro lpatch.disable=Y")]
    [InlineData("ro lpatch.disable=yes")]
    [InlineData("ro lpatch.disable=t")]
    [InlineData("ro lpatch.disable=True")]
    [InlineData("ro lpatch.disable=e")]
    [InlineData("ro lpatch.disable=Enable")]
    [InlineData("ro lpatch.disable=on")]
    [InlineData("ro lpatch.disable=On")]
    [InlineData("ro lpatch.disable=ON")]
    [InlineData("ro lpatch.disable=oN")]
    [InlineData("ro lpatch.disable=\"1\"")]
    [InlineData("ro \"lpatch.disable=1\" quiet")]
    [InlineData("ro\tlpatch.disable=1\n")]
    public void IsDisabled_CommandLineTrue_ReturnsTrue(string commandLine)
    {
        File.WriteAllText(_options.KernelCommandLinePath, commandLine);

        Assert.True(AutoApplySwitch.IsDisabled(_options, out var reason));
        Assert.Contains("kernel command line", reason);
    }

    [Theory]
    [InlineData("BOOT_IMAGE=/vmlinuz ro quiet\n")]
    [InlineData("ro lpatch.disable=0\n")]
    [InlineData("ro lpatch.disable=n")]
    [InlineData("ro lpatch.disable=No")]
    [InlineData("ro lpatch.disable=f")]
    [InlineData("ro lpatch.disable=FALSE")]
    [InlineData("ro lpatch.disable=d")]
    [InlineData("ro lpatch.disable=Disable")]
    [InlineData("ro lpatch.disable=off")]
    [InlineData("ro lpatch.disable=OFF")]
    [InlineData("ro lpatch.disable=1 lpatch.disable=0")]
    [InlineData("lpatch.disable lpatch.disable=n")]
    [InlineData("ro xlpatch.disable=1 lpatch.disabled=1 lpatch.disable.x=1\n")]
    [InlineData("ro foo=\"lpatch.disable=1 and more\"")]
    public void IsDisabled_NoSwitchOrFalse_ReturnsFalse(string commandLine)
    {
        File.WriteAllText(_options.KernelCommandLinePath, commandLine);

        Assert.False(AutoApplySwitch.IsDisabled(_options, out var reason));
        Assert.Equal("", reason);
    }

    [Theory]
    [InlineData("ro lpatch.disable=")]
    [InlineData("ro lpatch.disable=ja")]
    [InlineData("ro lpatch.disable=o")]
    [InlineData("ro lpatch.disable=2")]
    [InlineData("ro lpatch.disable=0 lpatch.disable=maybe")]
    public void IsDisabled_UnparsableLastValue_FailsSafeToDisabled(string commandLine)
    {
        File.WriteAllText(_options.KernelCommandLinePath, commandLine);

        Assert.True(AutoApplySwitch.IsDisabled(_options, out var reason));
        Assert.Contains("off to be safe", reason);
    }

    [Theory]
    [InlineData("y", true)]
    [InlineData("1", true)]
    [InlineData("on", true)]
    [InlineData("n", false)]
    [InlineData("0", false)]
    [InlineData("of", false)]
    [InlineData("", null)]
    [InlineData("o", null)]
    [InlineData("x", null)]
    [InlineData(" 1", null)]
    public void ParseKernelBoolOrNull_ReadsLikeKstrtobool(string value, bool? expected)
    {
        Assert.Equal(expected, AutoApplySwitch.ParseKernelBoolOrNull(value));
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

    [Fact]
    public void IsDisabled_DisablePathIsADirectory_ReturnsTrue()
    {
        Directory.CreateDirectory(_options.DisableFile);

        Assert.True(AutoApplySwitch.IsDisabled(_options, out var reason));
        Assert.Contains(_options.DisableFile, reason);
    }

    [Fact]
    public void IsDisabled_DisablePathIsAFifo_ReturnsTrue()
    {
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [_options.DisableFile]))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        Assert.True(AutoApplySwitch.IsDisabled(_options, out var reason));
        Assert.Contains(_options.DisableFile, reason);
    }

    [Fact]
    public void IsDisabled_DisablePathIsADanglingSymlink_ReturnsTrue()
    {
        File.CreateSymbolicLink(_options.DisableFile, Path.Combine(_root, "nowhere", "target"));

        Assert.True(AutoApplySwitch.IsDisabled(_options, out var reason));
        Assert.Contains(_options.DisableFile, reason);
    }

    [Fact]
    public void IsDisabled_DisablePathIsASymlinkToADirectory_ReturnsTrue()
    {
        File.CreateSymbolicLink(_options.DisableFile, _root);

        Assert.True(AutoApplySwitch.IsDisabled(_options, out _));
    }

    [Fact]
    public void IsDisabled_DisablePathUnderAFile_ReturnsFalse()
    {
        var file = Path.Combine(_root, "plain");
        File.WriteAllText(file, "");
        _options.DisableFile = Path.Combine(file, "disabled"); // ENOTDIR: nothing can exist there

        Assert.False(AutoApplySwitch.IsDisabled(_options, out _));
    }

    [Fact]
    public void IsDisabled_CommandLinePathIsAHugeFile_RefusedAsTooLargeWithoutReadingIt()
    {
        // A wrong kernelCommandLinePath (a disk image, a log) must not be read whole: the kernel's is at most a few KiB.
        using (var file = File.Create(_options.KernelCommandLinePath))
        {
            file.SetLength(64 * 1024 * 1024);
        }

        var refused = Assert.Throws<LivePatch.Core.LivePatchFormatException>(() => AutoApplySwitch.IsDisabled(_options, out _));

        Assert.Equal(LivePatch.Core.ErrorCodes.FileTooLarge.Code, refused.Code);
    }
}
