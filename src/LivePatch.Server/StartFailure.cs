using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace LivePatch.Server;

/// <summary>Why the server could not start, as one line naming the setting to change, for the failures a setting causes.</summary>
public static class StartFailure
{
    /// <summary>Logs the host writes when start fails repeat the exception with its stack; Program prints one line instead.</summary>
    public const string HostLogCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>True when this is the server's own process; started inside another (WebApplicationFactory), the failure
    /// stays an exception for that host to report.</summary>
    public static bool IsOwnProcess => System.Reflection.Assembly.GetEntryAssembly() == typeof(StartFailure).Assembly;

    public static string? MessageOrNull(Exception exception) => exception switch
    {
        OptionsValidationException e => LogText.Printable(string.Join(" ", e.Failures.Select(Cleaned))),
        IOException { InnerException: AddressInUseException } or IOException { InnerException: SocketException } =>
            LogText.Printable($"{exception.Message} Choose a free address with --urls or ASPNETCORE_URLS (default {ServerDefaults.Url}), or stop what holds it."),
        // A value the configuration binder cannot convert (a word where a number, duration or true/false goes): its message
        // names the value and the setting.
        InvalidOperationException { Source: "Microsoft.Extensions.Configuration.Binder", InnerException: { } inner } e =>
            LogText.Printable($"{e.Message} {inner.Message}"),
        AggregateException { InnerExceptions.Count: 1 } e => MessageOrNull(e.InnerExceptions[0]),
        _ => null,
    };

    // DataAnnotations wrap the message ("DataAnnotation validation failed for 'RepositoryOptions' members: …"); ours name the setting.
    private static string Cleaned(string failure) =>
        failure.IndexOf("with the error: '", StringComparison.Ordinal) is var at and >= 0 ? failure[(at + 17)..].TrimEnd('.', '\'') + "." : failure;
}
