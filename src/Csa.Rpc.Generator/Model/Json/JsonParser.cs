using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Csa.Rpc.Model.Json;

/// <summary>
/// A strict RFC 8259 JSON parser that keeps the source range of every value. Hand-written because the
/// generator runs inside the compiler (netstandard2.0) where shipping System.Text.Json is fragile, and
/// because diagnostics need positions for every token, which a DOM from a library does not give.
/// Throws <see cref="JsonSyntaxException"/> at the first error; never anything else for any input.
/// </summary>
internal sealed class JsonParser
{
    /// <summary>Nesting deeper than this is refused, so a hostile file cannot overflow the stack.</summary>
    public const int MaxDepth = 64;

    private readonly string _text;
    private int _position;

    private JsonParser(string text) => _text = text;

    /// <summary>Parses one JSON document; only whitespace may surround the root value.</summary>
    public static JsonValue Parse(string text)
    {
        var parser = new JsonParser(text);
        // A UTF-8 byte order mark that survived decoding is not JSON but is harmless.
        if (parser._text.Length > 0 && parser._text[0] == '\uFEFF')
            parser._position = 1;
        parser.SkipWhitespace();
        JsonValue root = parser.ParseValue(0);
        parser.SkipWhitespace();
        if (parser._position < parser._text.Length)
            throw parser.Error("Unexpected text after the end of the JSON document.");
        return root;
    }

    private JsonValue ParseValue(int depth)
    {
        if (depth > MaxDepth)
            throw Error($"JSON nesting is deeper than {MaxDepth} levels.");
        if (_position >= _text.Length)
            throw Error("Unexpected end of the file; a value was expected.");

        char c = _text[_position];
        switch (c)
        {
            case '{':
                return ParseObject(depth);
            case '[':
                return ParseArray(depth);
            case '"':
            {
                int start = _position;
                string value = ParseString();
                return JsonValue.String(new TextRange(start, _position - start), value);
            }
            case 't':
                return ParseLiteral("true", JsonKind.True);
            case 'f':
                return ParseLiteral("false", JsonKind.False);
            case 'n':
                return ParseLiteral("null", JsonKind.Null);
            default:
                if (c == '-' || (c >= '0' && c <= '9'))
                    return ParseNumber();
                throw Error($"Unexpected character '{Printable(c)}'; a value was expected.");
        }
    }

    private JsonValue ParseObject(int depth)
    {
        int start = _position;
        _position++; // '{'
        var properties = new List<JsonProperty>();
        var names = new HashSet<string>();
        SkipWhitespace();
        if (Peek() == '}')
        {
            _position++;
            return JsonValue.Object(new TextRange(start, _position - start), properties);
        }

        while (true)
        {
            SkipWhitespace();
            if (Peek() != '"')
                throw Error(_position >= _text.Length ? "Unexpected end of the file inside an object." : "A property name in double quotes was expected.");
            int nameStart = _position;
            string name = ParseString();
            var nameRange = new TextRange(nameStart, _position - nameStart);
            if (!names.Add(name))
                throw new JsonSyntaxException($"Property '{name}' appears twice in the same object.", nameRange);
            SkipWhitespace();
            if (Peek() != ':')
                throw Error("':' was expected after the property name.");
            _position++;
            SkipWhitespace();
            JsonValue value = ParseValue(depth + 1);
            properties.Add(new JsonProperty(name, nameRange, value));
            SkipWhitespace();
            char next = Peek();
            if (next == ',')
            {
                int comma = _position;
                _position++;
                SkipWhitespace();
                if (Peek() == '}')
                    throw new JsonSyntaxException("A trailing comma is not allowed in JSON.", new TextRange(comma, 1));
                continue;
            }

            if (next == '}')
            {
                _position++;
                return JsonValue.Object(new TextRange(start, _position - start), properties);
            }

            throw Error(_position >= _text.Length ? "Unexpected end of the file inside an object." : "',' or '}' was expected.");
        }
    }

    private JsonValue ParseArray(int depth)
    {
        int start = _position;
        _position++; // '['
        var items = new List<JsonValue>();
        SkipWhitespace();
        if (Peek() == ']')
        {
            _position++;
            return JsonValue.Array(new TextRange(start, _position - start), items);
        }

        while (true)
        {
            SkipWhitespace();
            items.Add(ParseValue(depth + 1));
            SkipWhitespace();
            char next = Peek();
            if (next == ',')
            {
                int comma = _position;
                _position++;
                SkipWhitespace();
                if (Peek() == ']')
                    throw new JsonSyntaxException("A trailing comma is not allowed in JSON.", new TextRange(comma, 1));
                continue;
            }

            if (next == ']')
            {
                _position++;
                return JsonValue.Array(new TextRange(start, _position - start), items);
            }

            throw Error(_position >= _text.Length ? "Unexpected end of the file inside an array." : "',' or ']' was expected.");
        }
    }

    private string ParseString()
    {
        _position++; // opening quote
        var builder = new StringBuilder();
        while (true)
        {
            if (_position >= _text.Length)
                throw Error("Unexpected end of the file inside a string.");
            char c = _text[_position];
            if (c == '"')
            {
                _position++;
                return builder.ToString();
            }

            if (c == '\\')
            {
                _position++;
                if (_position >= _text.Length)
                    throw Error("Unexpected end of the file inside a string.");
                char escape = _text[_position];
                switch (escape)
                {
                    case '"': builder.Append('"'); break;
                    case '\\': builder.Append('\\'); break;
                    case '/': builder.Append('/'); break;
                    case 'b': builder.Append('\b'); break;
                    case 'f': builder.Append('\f'); break;
                    case 'n': builder.Append('\n'); break;
                    case 'r': builder.Append('\r'); break;
                    case 't': builder.Append('\t'); break;
                    case 'u':
                        if (_position + 4 >= _text.Length
                            || !int.TryParse(_text.Substring(_position + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                        {
                            throw Error("'\\u' must be followed by four hexadecimal digits.");
                        }

                        builder.Append((char)code);
                        _position += 4;
                        break;
                    default:
                        throw Error($"'\\{Printable(escape)}' is not a JSON escape sequence.");
                }

                _position++;
                continue;
            }

            if (c < 0x20)
                throw Error(c == '\n' || c == '\r' ? "A string must end on the line it starts on (write a line break as \\n)." : "A control character must be escaped inside a string.");
            builder.Append(c);
            _position++;
        }
    }

    private JsonValue ParseNumber()
    {
        int start = _position;
        if (Peek() == '-')
            _position++;
        if (Peek() == '0')
        {
            _position++;
            if (IsDigit(Peek()))
                throw Error("A number must not have leading zeros (write hexadecimal ids as strings, e.g. \"0x0010\").");
        }
        else if (IsDigit(Peek()))
        {
            while (IsDigit(Peek()))
                _position++;
        }
        else
        {
            throw Error("A digit was expected.");
        }

        if (Peek() == '.')
        {
            _position++;
            if (!IsDigit(Peek()))
                throw Error("A digit was expected after the decimal point.");
            while (IsDigit(Peek()))
                _position++;
        }

        if (Peek() == 'e' || Peek() == 'E')
        {
            _position++;
            if (Peek() == '+' || Peek() == '-')
                _position++;
            if (!IsDigit(Peek()))
                throw Error("A digit was expected in the exponent.");
            while (IsDigit(Peek()))
                _position++;
        }

        return JsonValue.Number(new TextRange(start, _position - start), _text.Substring(start, _position - start));
    }

    private JsonValue ParseLiteral(string literal, JsonKind kind)
    {
        int start = _position;
        if (string.CompareOrdinal(_text, _position, literal, 0, literal.Length) != 0)
            throw Error($"Unexpected text; '{literal}' or another value was expected.");
        _position += literal.Length;
        return JsonValue.Literal(kind, new TextRange(start, literal.Length));
    }

    private void SkipWhitespace()
    {
        while (_position < _text.Length)
        {
            char c = _text[_position];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
                return;
            _position++;
        }
    }

    private char Peek() => _position < _text.Length ? _text[_position] : '\0';

    private static bool IsDigit(char c) => c >= '0' && c <= '9';

    private static string Printable(char c) => c < 0x20 || c > 0x7E ? "U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture) : c.ToString();

    private JsonSyntaxException Error(string message) =>
        new(message, new TextRange(_position, _position < _text.Length ? 1 : 0));
}
