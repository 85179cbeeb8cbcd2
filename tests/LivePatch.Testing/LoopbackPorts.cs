using System.Net;
using System.Net.Sockets;

namespace LivePatch.Testing;

/// <summary>Ports on 127.0.0.1 that were free a moment ago: bound to port 0, read, released.</summary>
public static class LoopbackPorts
{
    /// <summary>A port nothing listens on now: a server started by the test can take it, a client finds it refusing.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>An http URL on 127.0.0.1 where nothing listens, so connections are refused.</summary>
    public static Uri RefusingUrl() => new($"http://127.0.0.1:{Free()}/");
}
