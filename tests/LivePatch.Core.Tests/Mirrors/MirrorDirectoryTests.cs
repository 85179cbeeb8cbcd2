using System.Diagnostics;
using LivePatch.Core.Mirrors;

namespace LivePatch.Core.Tests.Mirrors;

/// <summary>Reading a tree someone else controls (a medium, a share): what is in a file's place cannot hang the reader.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MirrorDirectoryTests : IDisposable
{
    private const string Manifest = "v1/manifests/stable/4a5a9b0affb66c437abcd455d2738af879985fa9";
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-tree-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task ReadOrNullAsync_AFifoInAFilesPlace_IsRefusedAtOnce()
    {
        var fifo = Path.Combine(_root, Manifest);
        Directory.CreateDirectory(Path.GetDirectoryName(fifo)!);
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var read = new MirrorDirectory(_root).ReadOrNullAsync(Manifest, 1024, CancellationToken.None);
        var first = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(20)));

        Assert.Same(read, first); // a plain open would wait for a writer forever
        var error = await Assert.ThrowsAsync<IOException>(() => read);
        Assert.Contains("not a regular file", error.Message);
    }

    [Fact]
    public async Task ReadOrNullAsync_ARegularFile_IsRead_AndAMissingOneIsNull()
    {
        var file = Path.Combine(_root, Manifest);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllBytes(file, "signed"u8.ToArray());
        var tree = new MirrorDirectory(_root);

        Assert.Equal("signed"u8.ToArray(), await tree.ReadOrNullAsync(Manifest, 1024, CancellationToken.None));
        Assert.Null(await tree.ReadOrNullAsync(MirrorTree.IndexPath, 1024, CancellationToken.None));
    }
}
