using System.Diagnostics;
using System.Net;
using LivePatch.Client.Host;
using LivePatch.Client.Updates;
using LivePatch.Core;

namespace LivePatch.Client.Reports;

/// <summary>Sends one report after a run (<c>POST /v1/reports</c>) and records how it went; a report never changes the run's
/// outcome or exit code, and this class never throws.</summary>
/// <remarks>
/// It runs after the run has let go of the run lock, so a slow repository never holds another lpatch up. One POST, retried
/// once only when the connection was not even made, within <see cref="ReportOptions.Timeout"/> in all. At boot
/// (<c>apply --boot</c>, before the network, typically in a unit without one) the report is one attempt with a
/// <see cref="BootConnectTimeout"/> to connect and <see cref="BootTimeout"/> in all: failing there is normal and must not
/// delay the boot. Timeouts are wall-clock time, whatever clock the run used for expiry.
/// </remarks>
public sealed class HostReporter(ClientOptions options, TimeProvider time)
{
    public const string Check = "check";
    public const string Apply = "apply";
    public const string Boot = "boot";
    public const string Daemon = "daemon";

    public static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan BootConnectTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxConnectTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>Reports <paramref name="result"/> of a <paramref name="command"/> run; null when reports are off.</summary>
    /// <param name="command"><see cref="Check"/>, <see cref="Apply"/>, <see cref="Boot"/> or <see cref="Daemon"/>.</param>
    /// <param name="result">How the run ended.</param>
    /// <param name="state">The state the run left.</param>
    /// <param name="guard">The crash-loop guard, for the quarantine list.</param>
    public async Task<ReportRecord?> SendAsync(string command, UpdateResult result, ClientState state, CrashLoopGuard guard)
    {
        if (options.Report is not { } report)
        {
            return null;
        }

        ReportRecord record;
        try
        {
            record = await MakeAndSendAsync(report, command, result, state, guard).ConfigureAwait(false);
        }
        catch (ReportRefusedException refused)
        {
            record = Record(ReportRecord.Skipped, refused.Code, command, refused.Message, report.Url, null);
        }
        catch (Exception e)
        {
            // Whatever goes wrong here, the run's outcome stands: one warning, never a stack trace or another exit code.
            record = Record(ReportRecord.Failed, ClientErrorCodes.ReportFailed, command, $"no report to {report.Url}: {e.Message}", report.Url, null);
        }

        TrySave(record);
        return record;
    }

    private async Task<ReportRecord> MakeAndSendAsync(ReportOptions report, string command, UpdateResult result, ClientState state, CrashLoopGuard guard)
    {
        var url = new Uri(report.Url);
        var machineId = MachineIdentity.DeriveOrNull(report.MachineIdPath, url, out var problem)
            ?? throw new ReportRefusedException(ClientErrorCodes.ReportMachineIdInvalid, $"no report to {report.Url}: {problem}");
        var token = ReportToken.Read(report.TokenFile);
        HostKernel kernel;
        try
        {
            kernel = HostKernel.Read(options.KernelNotesPath, options.KernelReleasePath);
        }
        catch (Exception e) when (e is LivePatchFormatException or IOException or UnauthorizedAccessException)
        {
            throw new ReportRefusedException(ClientErrorCodes.ReportFailed, $"no report to {report.Url}: cannot read the running kernel: {e.Message}");
        }

        var body = HostReportBuilder.Build(options, new ReportInputs(machineId, command, result, state, QuarantinedOrEmpty(guard), kernel, time.GetUtcNow()));
        var failure = await PostAsync(url, token, body, command == Boot, report.Timeout).ConfigureAwait(false);
        return failure is null
            ? new ReportRecord(time.GetUtcNow(), ReportRecord.Sent, null, $"reported to {report.Url} as host {machineId}", report.Url, machineId, command)
            : Record(ReportRecord.Failed, ClientErrorCodes.ReportFailed, command, $"could not report to {report.Url}: {failure}", report.Url, machineId);
    }

    /// <summary>Null when the repository took the report; otherwise what went wrong, in words.</summary>
    private static async Task<string?> PostAsync(Uri url, string token, Core.Repository.HostReport body, bool atBoot, TimeSpan timeout)
    {
        var budget = atBoot && timeout > BootTimeout ? BootTimeout : timeout;
        var connect = atBoot ? BootConnectTimeout : budget < MaxConnectTimeout ? budget : MaxConnectTimeout;
        var started = Stopwatch.GetTimestamp();
        using var cancel = new CancellationTokenSource(budget);
        using var client = RepositoryClient.Create(new RepositoryClientOptions
        {
            // The pipeline's own time-outs a little later than the budget, so that running out of time is told as such.
            Server = url, ApiKey = token, MaxRetryAttempts = 0, AttemptTimeout = budget + TimeSpan.FromSeconds(1), TotalTimeout = budget + TimeSpan.FromSeconds(1),
        }, new SocketsHttpHandler { ConnectTimeout = connect });
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await client.Api.SendReportAsync(body, cancel.Token).ConfigureAwait(false);
                return null;
            }
            catch (Exception e) when (attempt == 0 && !atBoot && NeverConnected(e) && Stopwatch.GetElapsedTime(started) + RetryDelay + connect < budget)
            {
                await Task.Delay(RetryDelay, cancel.Token).ConfigureAwait(false);
            }
            catch (RepositoryApiException e)
            {
                return e.Status == HttpStatusCode.TooManyRequests ? $"[{e.Code}] {e.Detail} (the next run reports again)" : $"[{e.Code}] {e.Detail}";
            }
            catch (OperationCanceledException)
            {
                return $"no answer within {budget.TotalSeconds:0.#} s{(atBoot ? " (normal at boot, before the network)" : "")}";
            }
            catch (Exception e) when (e is RepositoryUnreachableException or HttpRequestException or Polly.Timeout.TimeoutRejectedException)
            {
                // Refit hands a call without a result its transport failure as it is, not through the client's exception factory.
                return e is RepositoryUnreachableException ? e.Message : $"cannot reach {url.GetLeftPart(UriPartial.Authority)}: {e.Message}";
            }
        }
    }

    /// <summary>Connection refused or reset before a byte went out: repeating the POST cannot report twice.</summary>
    private static bool NeverConnected(Exception e) =>
        (e as HttpRequestException ?? e.InnerException as HttpRequestException) is { HttpRequestError: HttpRequestError.ConnectionError };

    private static IReadOnlyList<QuarantineEntry> QuarantinedOrEmpty(CrashLoopGuard guard)
    {
        try
        {
            return guard.Quarantined();
        }
        catch (ClientStateException)
        {
            return []; // a damaged quarantine file is the run's to report, not the report's
        }
    }

    private ReportRecord Record(string outcome, ErrorCode code, string command, string message, string url, string? machineId) =>
        new(time.GetUtcNow(), outcome, code.Code, message, url, machineId, command);

    private void TrySave(ReportRecord record)
    {
        try
        {
            ReportRecordFile.Save(options.StateDirectory, record);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or UnsafePathException)
        {
            // The status line is lost; the warning printed for a failure is not.
        }
    }
}
