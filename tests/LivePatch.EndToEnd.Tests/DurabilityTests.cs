using System.Diagnostics;
using System.Text.RegularExpressions;

namespace LivePatch.EndToEnd.Tests;

/// <summary>
/// What "durable" means in system calls, watched with strace on the real lpatch process: the new file is fsynced
/// before the rename, and its folder is fsynced after it, so that a power cut cannot bring back the old file or none.
/// </summary>
public sealed partial class DurabilityTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lpatch-durable-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task AWrittenFile_IsFsynced_Renamed_AndItsFolderFsynced_InThatOrder()
    {
        var output = Path.Combine(_folder, "signed.ko");
        var calls = await TracedLpatchAsync("trace=openat,rename,renameat,renameat2,fsync,fdatasync",
            "module", "sign", FixtureFiles.PathOf("modules", "lp_sample.ko"), "--key", FixtureFiles.PathOf("keys", "rsa2048.key"),
            "--cert", FixtureFiles.PathOf("keys", "rsa2048.pem"), "--out", output);

        Assert.True(File.Exists(output));

        // The temp file beside the output: opened, fsynced, renamed over the output.
        var rename = calls.FindIndex(c => c.Name.StartsWith("rename", StringComparison.Ordinal) && c.Args.Contains($"\"{output}\"", StringComparison.Ordinal));
        Assert.True(rename >= 0, "no rename onto the output:\n" + string.Join('\n', calls));
        var temp = TempName().Match(calls[rename].Args).Groups["temp"].Value;
        var tempFd = FdOpened(calls, temp, before: rename);
        Assert.Contains(calls.Take(rename), c => c.Name is "fsync" or "fdatasync" && c.Args == tempFd);

        // After the rename: the folder opened and fsynced.
        var folderFd = FdOpened(calls.Skip(rename).ToList(), _folder, before: calls.Count - rename);
        Assert.Contains(calls.Skip(rename), c => c.Name == "fsync" && c.Args == folderFd);
    }

    [Fact]
    public async Task MirrorSync_EachPhase_BytesFlushedBeforeItsRenames_FoldersFsyncedAfter()
    {
        using var fixture = new MirrorFixture();
        await fixture.Server.StartAsync();
        fixture.Publish(MirrorFixture.Neighbour, "7700000000000000000000000000000000000001");
        var tree = Path.Combine(_folder, "tree");
        var calls = await TracedLpatchAsync("trace=openat,rename,renameat,renameat2,fsync,fdatasync,syncfs", fixture.SyncArgs(tree));
        var renames = Enumerable.Range(0, calls.Count)
            .Where(i => calls[i].Name.StartsWith("rename", StringComparison.Ordinal) && calls[i].Args.Contains($"\"{tree}/", StringComparison.Ordinal))
            .ToList();
        Assert.True(renames.Count >= 6, "expected renames of a blob, two manifests, two bins and the index:\n" + string.Join('\n', calls));

        // Every file's temp file was created, then the file system flushed (syncfs), then the temp file renamed into place.
        foreach (var rename in renames)
        {
            var temp = TempName().Match(calls[rename].Args).Groups["temp"].Value;
            var created = calls.FindLastIndex(rename, c => c.Name == "openat" && c.Args.Contains($"\"{temp}\"", StringComparison.Ordinal) && c.Args.Contains("O_CREAT", StringComparison.Ordinal));
            Assert.True(created >= 0, $"{temp} was not created before its rename");
            Assert.Contains(calls.Skip(created).Take(rename - created), c => c.Name == "syncfs" && c.Result == "0");
        }

        // The index is renamed last, and its folder fsynced after it.
        var index = renames.Single(i => calls[i].Args.Contains($"\"{tree}/v1/index\"", StringComparison.Ordinal));
        Assert.Equal(renames.Max(), index);
        var folderFd = FdOpened(calls.Skip(index).ToList(), Path.Combine(tree, "v1"), before: calls.Count - index);
        Assert.Contains(calls.Skip(index), c => c.Name == "fsync" && c.Args == folderFd);
    }

    /// <summary>Runs the real lpatch with <paramref name="args"/> under <c>strace -f -e <paramref name="filter"/></c>, requires
    /// exit 0, and returns the traced calls in order.</summary>
    private async Task<List<(string Name, string Args, string Result)>> TracedLpatchAsync(string filter, params string[] args)
    {
        var trace = Path.Combine(_folder, "strace.txt");
        var start = new ProcessStartInfo("strace") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["-f", "-qq", "-e", filter, "-o", trace, "dotnet", Binaries.Lpatch, .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using (var process = Process.Start(start)!)
        {
            var error = process.StandardError.ReadToEndAsync();
            await process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await error}");
        }

        return File.ReadAllLines(trace).Select(l => SyscallLine().Match(l)).Where(m => m.Success)
            .Select(m => (Name: m.Groups["name"].Value, Args: m.Groups["args"].Value, Result: m.Groups["result"].Value)).ToList();
    }

    /// <summary>The file descriptor the last successful openat of <paramref name="path"/> before index <paramref name="before"/> returned.</summary>
    private static string FdOpened(List<(string Name, string Args, string Result)> calls, string path, int before)
    {
        var open = calls.Take(before).LastOrDefault(c => c.Name == "openat" && c.Args.Contains($"\"{path}\"", StringComparison.Ordinal) && !c.Result.StartsWith('-'));
        Assert.False(open == default, $"'{path}' was not opened:\n" + string.Join('\n', calls));
        return open.Result;
    }

    // "[pid 123] fsync(21) = 0" or "fsync(21)                = 0"
    [GeneratedRegex(@"^(?:\[pid\s+\d+\]\s+|\d+\s+)?(?<name>\w+)\((?<args>.*)\)\s+=\s+(?<result>-?\d+)")]
    private static partial Regex SyscallLine();

    [GeneratedRegex("\"(?<temp>[^\"]+\\.tmp)\"")]
    private static partial Regex TempName();
}
