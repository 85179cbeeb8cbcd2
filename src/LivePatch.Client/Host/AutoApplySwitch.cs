namespace LivePatch.Client.Host;

/// <summary>The operator's off switch for automatic applying: <c>lpatch.disable=1</c> on the kernel command line, or the disable file.</summary>
/// <remarks>
/// The command line word lets an operator boot a host that crashes after an apply without the client applying
/// again (the same idea as the kernel's own <c>module_blacklist=</c>); the file is the switch for a running host.
/// </remarks>
public static class AutoApplySwitch
{
    /// <summary>The command line word; <c>lpatch.disable</c> alone counts too, as the kernel reads a bare boolean parameter as true.</summary>
    public const string CommandLineWord = "lpatch.disable";

    /// <summary>True when automatic applying is off; <paramref name="reason"/> says which switch, empty otherwise.</summary>
    public static bool IsDisabled(ClientOptions options, out string reason)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (CommandLineDisables(options.KernelCommandLinePath))
        {
            reason = $"{CommandLineWord}=1 is on the kernel command line ({options.KernelCommandLinePath}).";
            return true;
        }

        if (File.Exists(options.DisableFile))
        {
            reason = $"The disable file {options.DisableFile} exists.";
            return true;
        }

        reason = "";
        return false;
    }

    private static bool CommandLineDisables(string path)
    {
        string commandLine;
        try
        {
            commandLine = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }

        // Parameters are separated by spaces (Documentation/admin-guide/kernel-parameters.rst); a later word wins.
        var words = commandLine.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var setting = words.LastOrDefault(w => w == CommandLineWord || w.StartsWith(CommandLineWord + "=", StringComparison.Ordinal));
        return setting is not null && (setting == CommandLineWord || setting[(CommandLineWord.Length + 1)..] is "1" or "y" or "Y");
    }
}
