using System.Text.Json;
using LivePatch.Core.Manifests;

namespace LivePatch.Core;

/// <summary>Counts a JSON array's elements without building them: a document is refused for its count before a
/// deserializer makes an object of every element (a small element, <c>{}</c>, is 3 bytes).</summary>
public static class JsonArrays
{
    /// <summary>Whether an array under the top-level property <paramref name="property"/> has more than
    /// <paramref name="max"/> elements, counted up to one more with nothing allocated. JSON it cannot read is left to the
    /// deserializer to report: false.</summary>
    public static bool HasMoreThan(ReadOnlySpan<byte> json, ReadOnlySpan<byte> property, int max)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = LivePatchJsonContext.MaxDepth });
        try
        {
            while (reader.Read())
            {
                if (reader is { TokenType: JsonTokenType.PropertyName, CurrentDepth: 1 } && reader.ValueTextEquals(property)
                    && reader.Read() && reader.TokenType == JsonTokenType.StartArray && CountsMoreThan(ref reader, max))
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            // Malformed JSON: the deserializer refuses it with the path and position.
        }

        return false;
    }

    private static bool CountsMoreThan(ref Utf8JsonReader reader, int max)
    {
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (++count > max)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }
}
