namespace Csa.Bootloader.Updates;

/// <summary>Where an update stands, as reported through <see cref="UpdateProgress"/> and carried by <see cref="UpdateFailedException"/>.</summary>
public enum UpdateStage
{
    /// <summary>Finding the device on the network (first contact, or again after a power cut or a lost link).</summary>
    Connecting = 0,

    /// <summary>The application was asked to restart into the bootloader; waiting for the bootloader to answer.</summary>
    EnteringBootloader = 1,

    /// <summary>Reading the bootloader's status and checking the image against the device before anything is sent.</summary>
    Checking = 2,

    /// <summary>The image was offered (BeginUpdate) and the first sector is being erased; no write acknowledged yet.</summary>
    Erasing = 3,

    /// <summary>Payload writes are in flight.</summary>
    Transferring = 4,

    /// <summary>The device hashes the written payload and commits the image (FinishUpdate), then the host compares region hashes.</summary>
    Verifying = 5,

    /// <summary>The device was told to restart into the new image; waiting for it to answer again.</summary>
    Restarting = 6,

    /// <summary>Reading the versions to confirm that the new image runs.</summary>
    Confirming = 7,

    /// <summary>The update is complete and confirmed.</summary>
    Done = 8,
}
