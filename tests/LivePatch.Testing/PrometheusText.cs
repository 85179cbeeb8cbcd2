using System.Globalization;
using System.Text;

namespace LivePatch.Testing;

/// <summary>One sample of the Prometheus text exposition format: a metric name, its labels (unescaped) and its value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    /// <summary>Whether every label given is present with that value (others may be there too).</summary>
    public bool Has(params (string Label, string Value)[] labels) =>
        labels.All(l => Labels.TryGetValue(l.Label, out var value) && value == l.Value);
}

/// <summary>A strict reader of the Prometheus text format (version 0.0.4), for the tests of <c>/metrics</c> and of
/// <c>lpatch status --prometheus</c>: every sample line must parse, and every metric must have its HELP and TYPE.</summary>
public sealed class PrometheusText
{
    private PrometheusText(List<PrometheusSample> samples, Dictionary<string, string> types, HashSet<string> helped)
    {
        Samples = samples;
        Types = types;
        Helped = helped;
    }

    public IReadOnlyList<PrometheusSample> Samples { get; }

    /// <summary>Metric family → its <c># TYPE</c>.</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    /// <summary>Metric families with a <c># HELP</c> line.</summary>
    public IReadOnlySet<string> Helped { get; }

    /// <summary>The samples named <paramref name="name"/> that carry all of <paramref name="labels"/>.</summary>
    public IEnumerable<PrometheusSample> Find(string name, params (string Label, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && s.Has(labels));

    /// <summary>The one value of <paramref name="name"/> with <paramref name="labels"/>, or null when there is none (two is a failure).</summary>
    public double? ValueOrNull(string name, params (string Label, string Value)[] labels) =>
        Find(name, labels).ToList() switch
        {
            [] => null,
            [var one] => one.Value,
            var many => throw new InvalidOperationException($"{many.Count} samples of {name} match"),
        };

    public static PrometheusText Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var helped = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n').Where(l => l.Length > 0))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal) && line[7..].Split(' ') is [var family, var type])
            {
                types[family] = type;
            }
            else if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                helped.Add(line[7..].Split(' ')[0]);
            }
            else if (!line.StartsWith('#'))
            {
                samples.Add(ParseSample(line));
            }
        }

        return new PrometheusText(samples, types, helped);
    }

    private static PrometheusSample ParseSample(string line)
    {
        var nameEnd = line.IndexOfAny(['{', ' ']);
        var name = line[..nameEnd];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var at = nameEnd;
        if (line[at] == '{')
        {
            at = ParseLabels(line, at + 1, labels);
        }

        var rest = line[at..].Trim().Split(' '); // a value, maybe a timestamp
        var value = rest[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new PrometheusSample(name, labels, value);
    }

    /// <summary>Reads <c>name="value",…}</c> from <paramref name="at"/>, undoing the \\, \" and \n escapes; returns the index
    /// after the closing brace.</summary>
    private static int ParseLabels(string line, int at, Dictionary<string, string> labels)
    {
        while (line[at] != '}')
        {
            var equals = line.IndexOf('=', at);
            var label = line[at..equals];
            if (line[equals + 1] != '"')
            {
                throw new FormatException($"label {label} is not quoted: {line}");
            }

            var value = new StringBuilder();
            at = equals + 2;
            for (; line[at] != '"'; at++)
            {
                value.Append(line[at] != '\\' ? line[at] : line[++at] switch
                {
                    'n' => '\n',
                    '\\' => '\\',
                    '"' => '"',
                    var other => throw new FormatException($"unknown escape \\{other}: {line}"),
                });
            }

            labels.Add(label, value.ToString());
            at++;
            if (line[at] == ',')
            {
                at++;
            }
        }

        return at + 1;
    }
}
