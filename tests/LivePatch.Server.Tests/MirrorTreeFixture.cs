using LivePatch.Server.Mirror;
using Microsoft.AspNetCore.Builder;

namespace LivePatch.Server.Tests;

/// <summary>A repository (in memory) with the fixture kernel's patch published, and its read tree copied once into a
/// directory; each test serves its own copy of that tree in the mirror mode.</summary>
public sealed class MirrorTreeFixture : IAsyncLifetime
{
    private readonly string _pristine = Directory.CreateTempSubdirectory("lpatch-mirror-tree-").FullName;

    public RepositoryFactory Repository { get; } = new();

    public HttpClient RepositoryClient { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        using (var admin = Repository.CreateClient(Repository.AdminKey))
        {
            (await admin.PostAsync("/v1/patches", Fixtures.Upload("lp_sample.rsa2048-sha256.ko"))).EnsureSuccessStatusCode();
        }

        RepositoryClient = Repository.CreateClient(apiKey: null);
        await ReadTreeCopy.CopyAsync(RepositoryClient, _pristine, TestKeys.Policy);
    }

    /// <summary>A fresh copy of the tree under <paramref name="folder"/>/tree.</summary>
    public string CopyTree(string folder)
    {
        var tree = Path.Combine(folder, "tree");
        foreach (var file in Directory.EnumerateFiles(_pristine, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(tree, Path.GetRelativePath(_pristine, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        return tree;
    }

    /// <summary>The mirror mode on a real Kestrel on 127.0.0.1, serving <paramref name="tree"/>.</summary>
    public static async Task<(WebApplication App, HttpClient Client)> StartMirrorAsync(string tree)
    {
        var builder = LoopbackApp.CreateBuilder();
        builder.Configuration["LivePatch:Mode"] = "mirror";
        builder.Configuration["LivePatch:MirrorDirectory"] = tree;
        builder.AddLivePatchMirror();
        var app = builder.Build();
        app.MapLivePatchMirror();
        var url = await LoopbackApp.StartAsync(app);
        return (app, new HttpClient { BaseAddress = url });
    }

    public Task DisposeAsync()
    {
        RepositoryClient.Dispose();
        Repository.Dispose();
        Directory.Delete(_pristine, recursive: true);
        return Task.CompletedTask;
    }
}
