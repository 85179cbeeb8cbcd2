namespace LivePatch.Core.Modules;

/// <summary>Which module names the repository accepts: the name becomes /sys/kernel/livepatch/&lt;name&gt; on hosts.</summary>
public static class ModuleNames
{
    /// <summary>MODULE_NAME_LEN is 64 - sizeof(unsigned long) including the NUL (include/linux/module.h).</summary>
    public const int MaxLength = 55;

    /// <summary>1 to 55 characters of [A-Za-z0-9_-]: no path separators, no dots.</summary>
    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= MaxLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
}
