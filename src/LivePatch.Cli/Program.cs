return LivePatch.Cli.LpatchCommand.Run(args, Console.Out, Console.Error);
