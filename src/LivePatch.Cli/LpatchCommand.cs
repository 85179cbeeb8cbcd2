using System.CommandLine;

namespace LivePatch.Cli;

/// <summary>The root of the <c>lpatch</c> command tree.</summary>
internal static class LpatchCommand
{
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("lpatch: signed Linux kernel live patches (module, kernel, key and manifest tools).");
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
    }
}
