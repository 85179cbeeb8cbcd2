using LivePatch.Server;
using LivePatch.Server.Configuration;
using LivePatch.Server.Health;
using LivePatch.Server.Mirror;

// The container's HEALTHCHECK: the same binary asks /healthz of the server beside it (no curl in the image).
if (args is [HealthProbe.Argument, .. var probeArgs])
{
    return await HealthProbe.RunAsync(probeArgs, Console.Error);
}

try
{
    // Content root = the build output, so appsettings.json is found wherever the server is started from;
    // relative paths in the configuration (the data folder) are relative to the current directory.
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
    if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
    {
        builder.WebHost.UseUrls(ServerDefaults.Url);
    }

    builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
    // The repository, or a read-only server of a mirror tree: the mode decides which services exist at all.
    var mirror = ServerModeSetting.Read(builder.Configuration) == ServerMode.Mirror;
    _ = mirror ? builder.AddLivePatchMirror() : builder.AddLivePatchRepository();
    var app = builder.Build();
    _ = mirror ? app.MapLivePatchMirror() : app.MapLivePatchRepository();
    app.Run();
    return 0;
}
catch (Exception e) when (StartFailure.IsOwnProcess && StartFailure.MessageOrNull(e) is { } message)
{
    // A setting to fix: one line an operator can act on, not a stack trace (nor an abort from an unhandled exception).
    Console.Error.WriteLine($"livepatch-server: cannot start: {message}");
    return 1;
}

/// <summary>The server's entry point; public so integration tests can start it with WebApplicationFactory.</summary>
public partial class Program;
