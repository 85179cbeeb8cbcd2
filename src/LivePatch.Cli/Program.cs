LivePatch.Cli.SocketIo.Configure(args); // before the first socket: read once, when the runtime's socket engine starts
return LivePatch.Cli.LpatchCommand.Run(args, Console.Out, Console.Error);
