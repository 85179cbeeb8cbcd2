namespace LivePatch.Core.Keys;

/// <summary>A file written by <see cref="KeyHierarchy.WriteTo"/> and what it is for.</summary>
public sealed record KeyFile(string Path, string Purpose);
