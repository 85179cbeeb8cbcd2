// The browser tests run the real server process and Debian's chromium.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
