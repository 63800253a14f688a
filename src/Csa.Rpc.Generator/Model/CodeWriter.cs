using System.Text;

namespace Csa.Rpc.Model;

/// <summary>Builds source text line by line with indentation and '\n' line ends (deterministic on every OS).</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _builder = new();
    private readonly string _indentUnit;
    private int _indent;

    public CodeWriter(string indentUnit = "    ") => _indentUnit = indentUnit;

    public CodeWriter Line(string text = "")
    {
        if (text.Length > 0)
        {
            for (int i = 0; i < _indent; i++)
                _builder.Append(_indentUnit);
            _builder.Append(text);
        }

        _builder.Append('\n');
        return this;
    }

    /// <summary>Writes "{" (or <paramref name="open"/>) and indents.</summary>
    public CodeWriter Open(string open = "{")
    {
        Line(open);
        _indent++;
        return this;
    }

    /// <summary>Outdents and writes "}" (or <paramref name="close"/>).</summary>
    public CodeWriter Close(string close = "}")
    {
        _indent--;
        Line(close);
        return this;
    }

    public override string ToString() => _builder.ToString();
}
