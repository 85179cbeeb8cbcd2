namespace LivePatch.Client;

/// <summary>Placeholder until the client library lands.</summary>
internal static class ClientAssembly;
