using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text;

namespace LivePatch.Testing;

// The real server as a user starts it: its own build output run with `dotnet`, on a loopback port, with its own data
// folder. Shared by the end-to-end tests and the dashboard's browser tests.

/// <summary>Where the real binaries are: each project's own build output, same configuration as the tests.</summary>
public static class Binaries
{
    private static readonly string Configuration =
        typeof(Binaries).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    public static string RepositoryRoot { get; } = FindRoot();

    public static string Server => Output("LivePatch.Server", "LivePatch.Server.dll");

    public static string Lpatch => Output("LivePatch.Cli", "lpatch.dll");

    private static string Output(string project, string dll) => Path.Combine(RepositoryRoot, "src", project, "bin", Configuration, "net10.0", dll);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Repository.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Repository.sln not found above the test output.");
    }
}

/// <summary>The multipart body of <c>POST /v1/patches</c>: a module for one or more build IDs.</summary>
public static class PublishForm
{
    public static MultipartFormDataContent Create(byte[] module, IEnumerable<string> buildIds)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(module), "module", "lp_sample.ko" } };
        foreach (var id in buildIds)
        {
            form.Add(new StringContent(id), "buildId");
        }

        return form;
    }
}

/// <summary>The real repository server process on a free loopback port, with its own data folder.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly StringBuilder _log = new();
    private readonly IReadOnlyList<string> _launcher;
    private Process? _process;

    /// <param name="launcher">A command the server runs under (<c>strace -f …</c>), or none.</param>
    public ServerProcess(string dataDirectory, IReadOnlyDictionary<string, string>? settings = null, IReadOnlyList<string>? launcher = null)
    {
        _launcher = launcher ?? [];
        DataDirectory = dataDirectory;
        Port = LoopbackPorts.Free();
        _environment = new()
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["LivePatch__DataDirectory"] = dataDirectory,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            _environment[key] = value;
        }
    }

    public string DataDirectory { get; }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Waits until the server's output holds <paramref name="text"/>, at most <paramref name="timeout"/> (5 s by
    /// default): the console logger writes from a queue, so a line about a request may come after its response.</summary>
    public async Task<bool> LogShowsAsync(string text, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (!Log.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    public string AdminKey => File.ReadAllText(Path.Combine(DataDirectory, "admin-api-key")).Trim();

    public string Keys(string name) => Path.Combine(DataDirectory, "keys", name);

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo(_launcher.Count > 0 ? _launcher[0] : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in _launcher.Skip(1).Concat(_launcher.Count > 0 ? ["dotnet"] : []))
        {
            start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add(Binaries.Server);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(Url);
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with {_process.ExitCode}:\n{Log}");
            }

            try
            {
                if ((await http.GetAsync($"{Url}/healthz")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // not answering yet
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The server did not become healthy in 60 s:\n{Log}");
    }

    /// <summary>Stops the process the way systemd or docker would: SIGTERM, then wait.</summary>
    public void Stop()
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }

        // Under a launcher the server is its child (a signalled strace would detach and leave the server running).
        var server = _launcher.Count == 0 ? _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : File.ReadAllText($"/proc/{_process.Id}/task/{_process.Id}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (server is not null)
        {
            using var kill = Process.Start("kill", ["-TERM", server]);
            kill.WaitForExit();
        }

        if (!_process.WaitForExit(TimeSpan.FromSeconds(20)))
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    public void Dispose() => Stop();

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
