// The server tests check Linux file modes and use the kernel-tool fixtures.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
