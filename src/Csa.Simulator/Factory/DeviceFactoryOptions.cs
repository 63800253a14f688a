using Csa.Crypto;

namespace Csa.Simulator;

/// <summary>What a <see cref="DeviceFactory"/> signs with and writes. One sealed record; every setting has a default.</summary>
public sealed record DeviceFactoryOptions
{
    /// <summary>
    /// The firmware signing key the factory's images are signed with (devices must trust its public key); null (default)
    /// makes a fresh development key for the factory.
    /// </summary>
    public EcP256PrivateKey? SigningKey { get; init; }

    /// <summary>What a blank device gets (<see cref="DeviceFactory.ProgramAsync"/>, <see cref="DeviceFactory.CreateDeviceAsync"/>) unless a call says otherwise.</summary>
    public FactoryFirmware Firmware { get; init; } = new();
}
