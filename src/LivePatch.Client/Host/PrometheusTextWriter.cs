using System.Globalization;
using System.Text;

namespace LivePatch.Client.Host;

/// <summary>Writes the Prometheus text exposition format (version 0.0.4), as node_exporter's textfile collector reads it: per
/// metric a <c># HELP</c> and a <c># TYPE</c> line, then its samples.</summary>
/// <remarks>Label values are escaped as the format says (backslash, double quote, newline); every other character, control
/// characters included, is legal in a quoted value, so a value from a file lpatch did not write cannot break a line.</remarks>
public sealed class PrometheusTextWriter
{
    private readonly StringBuilder _text = new();

    /// <summary>Starts a metric: its help text and its type (<c>gauge</c>, <c>counter</c>).</summary>
    public PrometheusTextWriter Metric(string name, string type, string help)
    {
        _text.Append("# HELP ").Append(name).Append(' ').Append(help.Replace("\\", "\\\\").Replace("\n", "\\n")).Append('\n');
        _text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        return this;
    }

    /// <summary>One sample of the metric started last.</summary>
    public PrometheusTextWriter Sample(string name, double value, params (string Label, string Value)[] labels)
    {
        _text.Append(name);
        if (labels.Length > 0)
        {
            _text.Append('{').AppendJoin(',', labels.Select(l => $"{l.Label}=\"{Escape(l.Value)}\"")).Append('}');
        }

        _text.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        return this;
    }

    public override string ToString() => _text.ToString();

    public static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
