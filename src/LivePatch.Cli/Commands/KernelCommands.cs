using System.CommandLine;
using LivePatch.Core;
using LivePatch.Core.Kernel;

namespace LivePatch.Cli.Commands;

/// <summary><c>lpatch kernel …</c>: facts about a kernel build.</summary>
internal static class KernelCommands
{
    public static Command Build()
    {
        var notes = new Option<FileInfo>("--notes")
        {
            Description = $"Raw ELF notes in this host's byte order (default {BuildIdReader.RunningKernelNotesPath}).",
        };
        var elf = new Option<FileInfo>("--elf") { Description = "An ELF file (vmlinux, a module, an executable)." };
        var buildId = new Command("build-id", "Print a kernel's GNU build ID in lowercase hex: the running kernel's by default.")
        {
            notes,
            elf,
        };
        buildId.Validators.Add(result =>
        {
            if (result.GetResult(notes) is not null && result.GetResult(elf) is not null)
            {
                result.AddError("Give either --notes or --elf, not both.");
            }
        });
        buildId.SetAction(parse =>
        {
            var id = parse.GetValue(elf) is { } elfFile
                ? BuildIdReader.FromElf(FileBytes.ReadBounded(elfFile.FullName, int.MaxValue - 64))
                : BuildIdReader.ReadRunningKernel(parse.GetValue(notes)?.FullName ?? BuildIdReader.RunningKernelNotesPath);
            parse.InvocationConfiguration.Output.WriteLine(id.Hex);
            return ExitCodes.Success;
        });

        return new Command("kernel", "Kernel build facts.") { buildId };
    }
}
