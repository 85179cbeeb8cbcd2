namespace LivePatch.Client.Host;

/// <summary>The operator's off switch for automatic applying: <c>lpatch.disable</c> on the kernel command line, or the disable file.</summary>
/// <remarks>
/// The command line word lets an operator boot a host that crashes after an apply without the client applying
/// again (the same idea as the kernel's own <c>module_blacklist=</c>); the file is the switch for a running host.
/// </remarks>
public static class AutoApplySwitch
{
    /// <summary>The command line parameter; its value reads as the kernel reads a bool parameter (<see cref="ParseKernelBoolOrNull"/>).</summary>
    public const string CommandLineWord = "lpatch.disable";

    /// <summary>True when automatic applying is off; <paramref name="reason"/> says which switch, empty otherwise.</summary>
    public static bool IsDisabled(ClientOptions options, out string reason)
    {
        ArgumentNullException.ThrowIfNull(options);
        var setting = LastSettingOrNull(options.KernelCommandLinePath);
        if (setting is not null && CommandLineDisables(setting, out var how))
        {
            reason = $"'{setting}' is on the kernel command line ({options.KernelCommandLinePath}){how}.";
            return true;
        }

        if (DisableFileExists(options.DisableFile, out var why))
        {
            reason = why;
            return true;
        }

        reason = "";
        return false;
    }

    /// <summary>The kernel's <c>kstrtobool</c> (lib/kstrtox.c): only the first one or two characters count. True for
    /// y/Y/t/T/e/E/1 and "on"; false for n/N/f/F/d/D/0 and "of[f]"; null for anything else, the empty value included.</summary>
    public static bool? ParseKernelBoolOrNull(string value) => value switch
    {
        [] => null,
        ['y' or 'Y' or 't' or 'T' or 'e' or 'E' or '1', ..] => true,
        ['n' or 'N' or 'f' or 'F' or 'd' or 'D' or '0', ..] => false,
        ['o' or 'O', 'n' or 'N', ..] => true,
        ['o' or 'O', 'f' or 'F', ..] => false,
        _ => null,
    };

    private static bool CommandLineDisables(string setting, out string how)
    {
        how = "";

        // A bare boolean parameter is true: the kernel's param_set_bool reads a missing value as "1" (kernel/params.c).
        if (setting == CommandLineWord)
        {
            return true;
        }

        var value = setting[(CommandLineWord.Length + 1)..];
        var parsed = ParseKernelBoolOrNull(value);

        // The kernel would ignore a value kstrtobool refuses. This is an off switch, though: someone typed it to stop
        // patching (often to get a crashing host to boot), so a value such as "lpatch.disable=ja" or "=2" must not quietly
        // leave automatic applying on. Wrongly off costs a late patch, visible in `lpatch status`; wrongly on can cost
        // the next crash.
        if (parsed is null)
        {
            how = ", a value that is not a kernel boolean: off to be safe";
            return true;
        }

        return parsed.Value;
    }

    /// <summary>The last <c>lpatch.disable[=value]</c> word, quotes removed, or null when there is none: like the kernel,
    /// which sets a parameter once per occurrence, the last one wins.</summary>
    private static string? LastSettingOrNull(string path)
    {
        string commandLine;
        try
        {
            // The kernel's command line is at most COMMAND_LINE_SIZE (4 KiB on x86, 2 KiB elsewhere): 64 KiB bounds a wrong path.
            commandLine = System.Text.Encoding.UTF8.GetString(Core.FileBytes.ReadBounded(path, 64 * 1024));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        return Words(commandLine).LastOrDefault(w => w == CommandLineWord || w.StartsWith(CommandLineWord + "=", StringComparison.Ordinal));
    }

    /// <summary>Words separated by white space outside double quotes, with the quotes dropped, as the kernel's
    /// <c>next_arg</c> (lib/cmdline.c) splits <c>param="value with spaces"</c>.</summary>
    private static IEnumerable<string> Words(string commandLine)
    {
        var word = new System.Text.StringBuilder();
        var quoted = false;
        foreach (var c in commandLine)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && char.IsWhiteSpace(c))
            {
                if (word.Length > 0)
                {
                    yield return word.ToString();
                    word.Clear();
                }
            }
            else
            {
                word.Append(c);
            }
        }

        if (word.Length > 0)
        {
            yield return word.ToString();
        }
    }

    /// <summary>Any entry at the path counts (lstat, not stat): a regular file, a directory, a FIFO, a socket, a
    /// symlink even when it dangles. An operator who runs <c>mkdir</c> or <c>ln -s</c> instead of <c>touch</c> still
    /// means "off".</summary>
    private static bool DisableFileExists(string path, out string reason)
    {
        reason = "";
        try
        {
            // FileInfo.Exists is false for a directory; LinkTarget (readlink) is non-null for any symlink, even one whose
            // target is missing, so the three together are "lstat succeeds" without a native call.
            var entry = new FileInfo(path);
            if (!entry.Exists && !Directory.Exists(path) && entry.LinkTarget is null)
            {
                return false;
            }

            reason = $"The disable file {path} exists.";
            return true;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            // Cannot tell whether the operator switched it off: off is the safe answer for an off switch.
            reason = $"The disable file {path} cannot be checked ({e.Message}): off to be safe.";
            return true;
        }
    }
}
