// The CLI tests exercise Linux behaviour (file modes, kernel tools).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
