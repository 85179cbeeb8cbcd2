namespace LivePatch.Client.Loading;

/// <summary>Validates the <c>loader</c> section and builds the configured <see cref="IPatchLoader"/>.</summary>
public static class PatchLoaderFactory
{
    public const string Sysfs = "sysfs";
    public const string Kpatch = "kpatch";
    public const string Exec = "exec";
    public const string Stage = "stage";

    /// <summary>The loader for <see cref="LoaderOptions.Kind"/>; a bad setting fails here, at start, not at the first apply.</summary>
    /// <exception cref="LoaderConfigurationException">A setting is missing or invalid; the exception names it.</exception>
    public static IPatchLoader Create(LoaderOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        RequirePositive(options.TransitionTimeout, "loader.transitionTimeout");
        RequirePositive(options.CommandTimeout, "loader.commandTimeout");
        return options.Kind switch
        {
            Sysfs => CreateSysfs(options, time),
            Kpatch => new KpatchPatchLoader(RequireCommand(options, options.Kpatch, "loader.kpatch"), time),
            Exec => new ExecPatchLoader(RequireCommand(options, options.Command, "loader.command"), time),
            Stage => new StagePatchLoader(RequireStageDirectory(options)),
            _ => throw new LoaderConfigurationException("loader.kind",
                $"loader.kind '{options.Kind}' is not one of {Sysfs}, {Kpatch}, {Exec}, {Stage}."),
        };
    }

    private static SysfsPatchLoader CreateSysfs(LoaderOptions options, TimeProvider time)
    {
        RequireCommand(options, options.Insmod, "loader.insmod");
        RequireCommand(options, options.Rmmod, "loader.rmmod");
        RequireAbsolute(options.SysfsRoot, "loader.sysfsRoot");
        RequireAbsolute(options.ModuleRoot, "loader.moduleRoot");
        return new SysfsPatchLoader(options, time);
    }

    /// <summary>A command is a name looked up on PATH or an absolute path: a relative path would depend on the working directory.</summary>
    private static LoaderOptions RequireCommand(LoaderOptions options, string? command, string setting)
    {
        if (string.IsNullOrWhiteSpace(command))
        {
            throw new LoaderConfigurationException(setting, $"{setting} is required for loader.kind '{options.Kind}'.");
        }

        if (command.Contains('/') && !Path.IsPathRooted(command))
        {
            throw new LoaderConfigurationException(setting, $"{setting} '{command}' must be a command name on PATH or an absolute path.");
        }

        return options;
    }

    private static LoaderOptions RequireStageDirectory(LoaderOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.StageDirectory))
        {
            throw new LoaderConfigurationException("loader.stageDirectory", "loader.stageDirectory is required for loader.kind 'stage'.");
        }

        RequireAbsolute(options.StageDirectory, "loader.stageDirectory");
        return options;
    }

    private static void RequireAbsolute(string? path, string setting)
    {
        if (string.IsNullOrWhiteSpace(path) || !Path.IsPathRooted(path))
        {
            throw new LoaderConfigurationException(setting, $"{setting} '{path}' must be an absolute path.");
        }
    }

    private static void RequirePositive(TimeSpan value, string setting)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new LoaderConfigurationException(setting, $"{setting} must be positive, not {value}.");
        }
    }
}
