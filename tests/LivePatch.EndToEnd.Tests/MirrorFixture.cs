using System.Text.RegularExpressions;
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

    /// <summary>The module <see cref="Publish"/> uploads.</summary>
    public const string Module = "lp_sample.rsa2048-sha256.ko";

    /// <summary>Publishes the fixture module for <paramref name="buildIds"/>; returns the new patch's id.</summary>
    public string Publish(params string[] buildIds) => PublishFile(Module, buildIds);

    /// <summary>Publishes <c>fixtures/modules/<paramref name="module"/></c> for <paramref name="buildIds"/>; returns the new
    /// patch's id.</summary>
    public string PublishFile(string module, params string[] buildIds)
    {
        var env = new Dictionary<string, string> { ["LPATCH_SERVER"] = Server.Url, ["LPATCH_API_KEY"] = Server.AdminKey };
        var args = new List<string> { "publish", FixtureFiles.PathOf("modules", module) };
        foreach (var buildId in buildIds)
        {
            args.AddRange(["--build-id", buildId]);
        }

        var run = Lpatch.Run(env, [.. args]);
        Assert.True(run.Exit == 0, run.ToString());
        return Regex.Match(run.Output, @"\(id (\d+)\)").Groups[1].Value; // "published NAME level L (id N) to ..."
    }

    /// <summary><c>lpatch patches delete ID</c> as the admin: the patch leaves every manifest and bin.</summary>
    public void Delete(string patchId)
    {
        var env = new Dictionary<string, string> { ["LPATCH_SERVER"] = Server.Url, ["LPATCH_API_KEY"] = Server.AdminKey };
        var run = Lpatch.Run(env, "patches", "delete", patchId);
        Assert.True(run.Exit == 0, run.ToString());
    }

    /// <summary><c>lpatch revoke ID --reason REASON</c> as the admin: the patch stays listed, marked revoked, in its manifests.</summary>
    public void Revoke(string patchId, string reason)
    {
        var env = new Dictionary<string, string> { ["LPATCH_SERVER"] = Server.Url, ["LPATCH_API_KEY"] = Server.AdminKey };
        var run = Lpatch.Run(env, "revoke", patchId, "--reason", reason);
        Assert.True(run.Exit == 0, run.ToString());
    }

    /// <summary>Arguments of <c>lpatch mirror sync</c> from <paramref name="from"/> (the server by default) to <paramref name="to"/>.</summary>
    public string[] SyncArgs(string to, string? from = null, params string[] more) =>
        ["mirror", "sync", "--from", from ?? Server.Url, "--to", to, "--root", Server.Keys("root.pem"), .. more];

    public ProcessRun Sync(string to, string? from = null, params string[] more) => Lpatch.Run(SyncArgs(to, from, more));

    /// <summary><see cref="Sync"/> with <paramref name="environment"/> added to lpatch's (the AWS settings of an s3:// target).</summary>
    public ProcessRun SyncWith(IReadOnlyDictionary<string, string> environment, string to, string? from = null, params string[] more) =>
        Lpatch.Run(environment, SyncArgs(to, from, more));
}
