// The end-to-end tests run Linux processes and set Unix file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
