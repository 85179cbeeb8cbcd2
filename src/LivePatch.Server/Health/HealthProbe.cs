using System.Globalization;

namespace LivePatch.Server.Health;

/// <summary><c>LivePatch.Server --probe</c>: asks <c>/healthz</c> of the server this configuration starts and exits 0 when it
/// answers 200, 1 otherwise, with one line saying why. A container's HEALTHCHECK, with no curl in the image.</summary>
/// <remarks>The address comes from the same settings the server listens on (<c>--urls</c>, <c>ASPNETCORE_URLS</c>,
/// <c>ASPNETCORE_HTTP_PORTS</c>, <c>urls</c> in appsettings.json; else the server's default), so the probe run beside the
/// server in the container finds it without being told. A wildcard host (<c>0.0.0.0</c>, <c>*</c>, <c>+</c>, <c>[::]</c>) is
/// asked on the loopback address; only http:// is probed (a certificate is issued for a public name, not for 127.0.0.1).</remarks>
public static class HealthProbe
{
    public const string Argument = "--probe";

    /// <summary>Below Docker's default HEALTHCHECK time-out (30 s): the probe says why it failed before it is killed.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(string[] args, TextWriter error)
    {
        // The server's own configuration sources, without building (or starting) the server.
        var configuration = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory }).Configuration;
        if (ProbeUrlOrNull(configuration, out var why) is not { } url)
        {
            error.WriteLine($"livepatch-server: probe: {why}");
            return 1;
        }

        using var http = new HttpClient { Timeout = Timeout };
        try
        {
            using var response = await http.GetAsync(url);
            if (response.IsSuccessStatusCode)
            {
                return 0;
            }

            error.WriteLine($"livepatch-server: probe: {url} answered {(int)response.StatusCode}.");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            error.WriteLine($"livepatch-server: probe: {url}: {(e is TaskCanceledException ? $"no answer in {Timeout.TotalSeconds:0} s" : e.Message)}");
        }

        return 1;
    }

    /// <summary>The <c>/healthz</c> URL on the first http:// address the server listens on, or null with the reason.</summary>
    public static Uri? ProbeUrlOrNull(IConfiguration configuration, out string why)
    {
        var addresses = (configuration["urls"] is { Length: > 0 } urls ? urls
                : configuration["http_ports"] is { Length: > 0 } ports ? string.Join(';', ports.Split(';').Select(p => $"http://*:{p.Trim()}"))
                : ServerDefaults.Url)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(BindingAddress.Parse)
            .ToList();
        var http = addresses.FirstOrDefault(a => a.Scheme == "http" && !a.IsUnixPipe);
        why = http is null ? $"no http:// address to probe among '{string.Join(';', addresses)}'; add one (e.g. http://127.0.0.1:5081)."
            : http.Port == 0 ? $"{http} lets the system choose the port: there is no known port to probe."
            : "";
        return http is null || http.Port == 0 ? null : new Uri($"http://{Loopback(http.Host)}:{http.Port.ToString(CultureInfo.InvariantCulture)}{HealthEndpoints.LivenessPath}");
    }

    private static string Loopback(string host) => host switch
    {
        "*" or "+" or "0.0.0.0" => "127.0.0.1",
        "[::]" => "[::1]",
        _ => host,
    };
}
