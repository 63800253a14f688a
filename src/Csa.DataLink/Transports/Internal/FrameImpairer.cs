namespace Csa.DataLink.Transports.Internal;

/// <summary>
/// Decides, byte by byte as they go onto the line, what reaches the receiver. It is delimiter-aware only to
/// pick which chunk to drop, duplicate or reorder: a frame is a non-empty run of bytes up to and including
/// a 0x00 (the data link's COBS delimiter). A 0x00 at a frame start (an empty chunk) passes untouched and
/// draws nothing. At the first byte of each frame three numbers are drawn, always in this order: loss,
/// duplication, reorder. A lost frame is neither duplicated nor reordered, a held-back frame is not also
/// duplicated, and only one frame is held back at a time. Bit errors apply to every delivered byte on the line (delimiters included); copies repeat the
/// bytes as they were received.
/// </summary>
internal sealed class FrameImpairer
{
    private const byte Delimiter = 0x00;

    private readonly EmulatedChannelOptions _options;
    private readonly EmulatedLinkCounters _counters;
    private readonly Random _frameRandom;
    private readonly BitErrorInjector _bitErrors;
    private readonly List<byte> _duplicate = [];
    private readonly List<byte> _holding = [];
    private byte[]? _held;
    private bool _inFrame;
    private bool _drop;
    private bool _duplicateThis;
    private bool _holdThis;

    public FrameImpairer(EmulatedChannelOptions options, EmulatedLinkCounters counters, int frameSeed, int bitSeed)
    {
        _options = options;
        _counters = counters;
        _frameRandom = new Random(frameSeed);
        _bitErrors = new BitErrorInjector(options.BitErrorRate, bitSeed);
    }

    /// <summary>Line byte <paramref name="number"/> with value <paramref name="value"/> has been sent.</summary>
    public void Transmit(byte value, long number, WireChunkBuilder output)
    {
        if (!_inFrame)
        {
            if (value != Delimiter)
            {
                StartFrame();
            }
        }

        if (_drop)
        {
            // a dropped frame's bytes occupy the line but never arrive
        }
        else
        {
            byte received = _bitErrors.Apply(value, out int flipped);
            if (flipped > 0)
            {
                _counters.AddBitsFlipped(flipped);
            }

            if (_holdThis)
            {
                _holding.Add(received);
            }
            else
            {
                output.Paced(received, number);
                if (_duplicateThis)
                {
                    _duplicate.Add(received);
                }
            }
        }

        if (value == Delimiter && _inFrame)
        {
            EndFrame(number, output);
        }
    }

    private void StartFrame()
    {
        _inFrame = true;
        double loss = _frameRandom.NextDouble();
        double duplication = _frameRandom.NextDouble();
        double reorder = _frameRandom.NextDouble();
        _drop = loss < _options.FrameLossProbability;
        _holdThis = !_drop && _held is null && reorder < _options.FrameReorderProbability;
        _duplicateThis = !_drop && !_holdThis && duplication < _options.FrameDuplicationProbability;
    }

    private void EndFrame(long number, WireChunkBuilder output)
    {
        _counters.FrameTransmitted();
        if (_drop)
        {
            _counters.FrameDropped();
        }

        if (_duplicateThis)
        {
            _counters.FrameDuplicated();
            output.Burst(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_duplicate), number);
            _duplicate.Clear();
        }

        if (_holdThis)
        {
            _counters.FrameReordered();
            _held = [.. _holding];
            _holding.Clear();
        }
        else if (_held is not null)
        {
            output.Burst(_held, number);
            _held = null;
        }

        _inFrame = false;
        _drop = false;
        _duplicateThis = false;
        _holdThis = false;
    }
}
