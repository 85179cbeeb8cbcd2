using LivePatch.Core.Trust;

namespace LivePatch.EndToEnd.Tests;

/// <summary>A real server, a folder for trees and the <c>lpatch mirror sync</c> and publish calls the mirror tests share.</summary>
internal sealed class MirrorFixture : IDisposable
{
    public const string BuildId = "4a5a9b0affb66c437abcd455d2738af879985fa9"; // of fixtures/notes/sys-kernel-notes.bin
    public const string Neighbour = "4a00000000000000000000000000000000000001"; // same bin, another kernel

    public MirrorFixture()
    {
        Root = Directory.CreateTempSubdirectory("lpatch-mirror-e2e-").FullName;
        // nginx's workers run as an unprivileged user when started by root: they must be able to read the tree.
        File.SetUnixFileMode(Root, (UnixFileMode)0b111_101_101);
        Server = new ServerProcess(Path.Combine(Root, "server"), new Dictionary<string, string>
        {
            ["LivePatch__ModuleKeyring__0"] = FixtureFiles.PathOf("keys", "rsa2048.pem"),
        });
    }

    public string Root { get; }

    public ServerProcess Server { get; }

    public TrustPolicy Policy => new() { Roots = TrustPolicy.LoadRoots([Server.Keys("root.pem")]) };

    public void Dispose()
    {
        Server.Dispose();
        Directory.Delete(Root, recursive: true);
    }

    public void Publish(params string[] buildIds)
    {
        var env = new Dictionary<string, string> { ["LPATCH_SERVER"] = Server.Url, ["LPATCH_API_KEY"] = Server.AdminKey };
        var args = new List<string> { "publish", FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko") };
        foreach (var buildId in buildIds)
        {
            args.AddRange(["--build-id", buildId]);
        }

        var run = Lpatch.Run(env, [.. args]);
        Assert.True(run.Exit == 0, run.ToString());
    }

    /// <summary>Arguments of <c>lpatch mirror sync</c> from <paramref name="from"/> (the server by default) to <paramref name="to"/>.</summary>
    public string[] SyncArgs(string to, string? from = null, params string[] more) =>
        ["mirror", "sync", "--from", from ?? Server.Url, "--to", to, "--root", Server.Keys("root.pem"), .. more];

    public ProcessRun Sync(string to, string? from = null, params string[] more) => Lpatch.Run(SyncArgs(to, from, more));
}
