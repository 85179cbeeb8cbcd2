using System.CommandLine;
using LivePatch.Core.Keys;

namespace LivePatch.Cli.Commands;

/// <summary><c>lpatch keys …</c>: key material for development and tests.</summary>
internal static class KeysCommands
{
    public static Command Build()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Directory to write the key set to (created if missing; existing key files are never overwritten).", Required = true };
        var init = new Command("init", "Make a development key hierarchy: offline root CA, manifest signing certificate issued by it, and a module signing certificate (keys/README.md explains each).")
        {
            output,
        };
        init.SetAction(parse =>
        {
            var directory = parse.GetRequiredValue(output).FullName;
            using var keys = DevelopmentKeys.Generate(TimeProvider.System);
            var written = keys.WriteTo(directory);
            var console = parse.InvocationConfiguration.Output;
            console.WriteLine($"wrote a development key hierarchy to {directory}:");
            foreach (var file in written)
            {
                console.WriteLine($"  {Path.GetFileName(file.Path),-22}{file.Purpose}");
            }

            console.WriteLine("Private keys (*.key) are mode 0600. For production, make the root on an offline machine (keys/README.md).");
            return ExitCodes.Success;
        });
        return new Command("keys", "Key material.") { init };
    }
}
