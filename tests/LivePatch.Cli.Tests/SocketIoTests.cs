namespace LivePatch.Cli.Tests;

public sealed class SocketIoTests
{
    [Theory]
    [InlineData(new[] { "mirror", "sync", "--from", "http://127.0.0.1:1", "--to", "tree" }, true)]
    [InlineData(new[] { "mirror", "export", "--from", "tree", "--out", "b.tar.zst" }, true)]
    [InlineData(new[] { "apply" }, false)] // the host commands keep the runtime's default
    [InlineData(new[] { "daemon", "--config", "mirror" }, false)]
    [InlineData(new[] { "--help" }, false)]
    [InlineData(new string[0], false)]
    public void RunsInline_OnlyTheMirrorCommands(string[] args, bool inline) => Assert.Equal(inline, SocketIo.RunsInline(args));
}
