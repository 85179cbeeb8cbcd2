using LivePatch.Core.Modules;
using LivePatch.Core;

namespace LivePatch.Client.Loading;

/// <summary>Only places verified modules in a directory as <c>&lt;name&gt;.ko[.gz|.xz|.zst]</c>: for air-gapped hosts and tests.</summary>
public sealed class StagePatchLoader : IPatchLoader
{
    /// <summary>The file suffixes kmod knows, by the compression found in the file's magic bytes.</summary>
    private static readonly string[] Suffixes = [".ko", ".ko.gz", ".ko.xz", ".ko.zst"];

    private readonly string _directory;

    public StagePatchLoader(LoaderOptions options)
    {
        _directory = options.StageDirectory ?? throw new ArgumentException("The stage loader needs a directory.", nameof(options));
    }

    public string Kind => "stage";

    public async Task<LoaderResult> ApplyAsync(PatchToApply patch, CancellationToken cancellation)
    {
        if (!ModuleNames.IsValid(patch.Name))
        {
            return LoaderResult.Failed(LoaderErrorCodes.InvalidName, $"'{patch.Name}' is not a valid module name.");
        }

        try
        {
            Directory.CreateDirectory(_directory);
            var compression = await UncompressedModule.DetectAsync(patch.FilePath, cancellation).ConfigureAwait(false);
            var target = StagedPath(patch.Name, compression);
            await AtomicFile.CopyAsync(patch.FilePath, target, AtomicFile.OwnerOnly, cancellation).ConfigureAwait(false);

            // The same name with another compression would be a second copy for whoever loads from here.
            DeleteStaged(patch.Name, except: target);
            foreach (var replaced in patch.Replaces.Where(r => r != patch.Name && ModuleNames.IsValid(r)))
            {
                DeleteStaged(replaced, except: null);
            }

            return LoaderResult.Ok($"Staged {patch.Name} level {patch.Level} as {target}.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return LoaderResult.Failed(LoaderErrorCodes.StageFailed, $"Cannot stage {patch.FilePath} in {_directory}: {e.Message}");
        }
    }

    public Task<LoaderResult> RemoveAsync(string name, CancellationToken cancellation)
    {
        if (!ModuleNames.IsValid(name))
        {
            return Task.FromResult(LoaderResult.Failed(LoaderErrorCodes.InvalidName, $"'{name}' is not a valid module name."));
        }

        try
        {
            return Task.FromResult(DeleteStaged(name, except: null) > 0
                ? LoaderResult.Ok($"Removed the staged {name}.")
                : LoaderResult.Failed(LoaderErrorCodes.NotApplied, $"{name} is not staged in {_directory}."));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(LoaderResult.Failed(LoaderErrorCodes.StageFailed, $"Cannot remove {name} from {_directory}: {e.Message}"));
        }
    }

    public Task<IReadOnlyList<LoadedPatch>> ListAsync(CancellationToken cancellation)
    {
        IReadOnlyList<LoadedPatch> staged = !Directory.Exists(_directory)
            ? []
            : Directory.EnumerateFiles(_directory)
                .Select(NameOrNull)
                .OfType<string>()
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
                .Select(name => new LoadedPatch(name, Enabled: true, InTransition: false))
                .ToList();
        return Task.FromResult(staged);
    }

    /// <summary>The module name of a staged file, or null for anything else (temp files, foreign files).</summary>
    private static string? NameOrNull(string path)
    {
        var file = Path.GetFileName(path);
        var suffix = Suffixes.FirstOrDefault(s => file.EndsWith(s, StringComparison.Ordinal));
        var name = suffix is null ? null : file[..^suffix.Length];
        return ModuleNames.IsValid(name) ? name : null;
    }

    private string StagedPath(string name, ModuleCompression compression) => compression switch
    {
        ModuleCompression.Gzip => Path.Combine(_directory, name + ".ko.gz"),
        ModuleCompression.Xz => Path.Combine(_directory, name + ".ko.xz"),
        ModuleCompression.Zstd => Path.Combine(_directory, name + ".ko.zst"),
        _ => Path.Combine(_directory, name + ".ko"),
    };

    /// <summary>Deletes every staged variant of <paramref name="name"/> but <paramref name="except"/>; returns how many.</summary>
    private int DeleteStaged(string name, string? except)
    {
        var deleted = 0;
        foreach (var path in Suffixes.Select(suffix => Path.Combine(_directory, name + suffix)))
        {
            if (path != except && File.Exists(path))
            {
                File.Delete(path);
                deleted++;
            }
        }

        return deleted;
    }
}
