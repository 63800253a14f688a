using System.Collections.Generic;

namespace Csa.Rpc.Model.Json;

/// <summary>Maps character offsets to zero-based line and column numbers.</summary>
internal sealed class LineMap
{
    private readonly List<int> _lineStarts = new() { 0 };

    public LineMap(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\r')
            {
                if (i + 1 < text.Length && text[i + 1] == '\n')
                    i++;
                _lineStarts.Add(i + 1);
            }
            else if (c == '\n')
            {
                _lineStarts.Add(i + 1);
            }
        }
    }

    /// <summary>The zero-based line and column of <paramref name="offset"/>.</summary>
    public (int Line, int Column) Locate(int offset)
    {
        int low = 0;
        int high = _lineStarts.Count - 1;
        while (low < high)
        {
            int mid = (low + high + 1) / 2;
            if (_lineStarts[mid] <= offset)
                low = mid;
            else
                high = mid - 1;
        }

        return (low, offset - _lineStarts[low]);
    }
}
