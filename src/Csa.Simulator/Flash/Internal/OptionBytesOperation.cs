namespace Csa.Simulator.Flash.Internal;

/// <summary>
/// Writes the option bytes. Lowering read-out protection from level 1 to 0 mass-erases the main flash first, as
/// the chip does, so a protected image cannot be read out by regressing the level. An interrupted option byte
/// program changes nothing in this model (the chip's OPTVERR fallback to level 1 is not modelled).
/// </summary>
internal sealed class OptionBytesOperation : PendingOperation
{
    private readonly FlashStore _store;
    private readonly FlashOptionBytes _options;
    private readonly bool _massErase;

    public OptionBytesOperation(string description, TimeSpan duration, IReadOnlyList<int> banks, FlashStore store, FlashOptionBytes options, bool massErase)
        : base(description, duration, banks)
    {
        _store = store;
        _options = options;
        _massErase = massErase;
    }

    public override void Commit()
    {
        if (_massErase)
        {
            _store.EraseMain(0, _store.Main.Length);
            for (int i = 0; i < _store.EraseCycles.Length; i++)
                _store.EraseCycles[i]++;
        }
        _store.OptionBytes = _options;
    }

    public override void Tear(double fraction, Random random, TornEraseStyle eraseStyle)
    {
    }
}
