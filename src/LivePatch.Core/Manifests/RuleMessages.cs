using System.Globalization;
using System.Runtime.CompilerServices;

namespace LivePatch.Core.Manifests;

/// <summary>A field's JSON path (<c>$.kernels[3].sha256</c>), put together only when a message names it: validating a
/// coverage bin or an index walks thousands of fields, and almost never fails.</summary>
internal readonly record struct FieldPath(string Parent, int Index, string Name = "")
{
    public static implicit operator FieldPath(string path) => new(path, -1);

    /// <summary>A field of this element: <c>new FieldPath("$.bins", 2).Field(".sha256")</c> is <c>$.bins[2].sha256</c>.</summary>
    public FieldPath Field(string name) => this with { Name = Name + name };

    public override string ToString() =>
        Index < 0 ? Parent + Name : string.Create(CultureInfo.InvariantCulture, $"{Parent}[{Index}]{Name}");
}
