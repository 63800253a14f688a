namespace Csa.Bootloader.Images;

/// <summary>
/// An <see cref="IImageVerifier"/> that can also say whether it holds a key with a given id. When every
/// trusted verifier for an algorithm implements this, <see cref="ImageValidator"/> reports an unknown key as
/// <see cref="ImageRejection.UnknownKey"/> instead of the catch-all <see cref="ImageRejection.BadSignature"/>,
/// which tells a service engineer "wrong signing key" rather than "damaged image".
/// </summary>
public interface IKeyAwareImageVerifier : IImageVerifier
{
    /// <summary>True when this verifier trusts a key whose id is <paramref name="keyId"/>.</summary>
    bool HasKey(ReadOnlySpan<byte> keyId);
}
