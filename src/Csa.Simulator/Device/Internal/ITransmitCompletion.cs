namespace Csa.Simulator.Device.Internal;

/// <summary>A cable whose outbound bytes wait in the device (a bus slave's queue) until the far end fetches them.</summary>
internal interface ITransmitCompletion
{
    /// <summary>Completes when everything written so far has been fetched (or can no longer be).</summary>
    Task WaitTransmittedAsync(CancellationToken cancellationToken);
}

/// <summary>A cable that follows the device's power: a bus slave answers only while the firmware runs.</summary>
internal interface IPoweredCable
{
    /// <summary>Called once when the cable is plugged into <paramref name="device"/>.</summary>
    void PluggedInto(VirtualDevice device);
}

/// <summary>
/// A cable whose host side is powered by the device (a USB serial bridge on the board): it goes, and the host's end of
/// it closes, when the device loses its supply; a reset leaves it (the bridge keeps its power).
/// </summary>
internal interface ISupplyPoweredCable
{
}
