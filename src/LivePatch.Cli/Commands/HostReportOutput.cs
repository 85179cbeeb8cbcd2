using LivePatch.Client.Host;
using LivePatch.Client.Reports;
using LivePatch.Client.Updates;

namespace LivePatch.Cli.Commands;

/// <summary>Sends the host report after a run, when client.json asks for one, and prints one warning line when it could not be
/// made or delivered. The run's output and exit code are written before and stay as they are.</summary>
internal static class HostReportOutput
{
    public static async Task SendAsync(TextWriter error, HostClient host, TimeProvider time, string command, UpdateResult result, ClientState state)
    {
        var record = await new HostReporter(host.Options, time).SendAsync(command, result, state, host.Guard);
        if (record is { WasSent: false })
        {
            new EscapingWriter(error).WriteLine($"lpatch: warning [{record.Code}]: {record.Message}");
        }
    }
}
