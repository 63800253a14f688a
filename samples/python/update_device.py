#!/usr/bin/env python3
"""Update the application of a Csa device from Python, through pythonnet.

Connects to a device by its link URI (by default the virtual device that `csa sim --tcp 5555` serves), reads
what runs on it, installs an application image and prints the progress, then the version the device runs:

    python3 update_device.py app.csai
    python3 update_device.py app.csai --uri serial:///dev/ttyUSB0?baud=115200

Exit codes: 0 updated; 1 the update failed or the device refused the image; 2 a bad command line;
3 the device cannot be reached; 4 the SDK or the .NET runtime cannot be loaded.
Every failure is one line on stderr: "update_device: error: ...".
"""

import argparse
import os
import sys
import threading

DEFAULT_URI = "tcp://127.0.0.1:5555"  # what `csa sim --tcp 5555` listens on

EXIT_OK = 0
EXIT_UPDATE_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_NO_SDK = 4


def default_sdk_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    beside = os.path.join(here, "sdk")
    return beside if os.path.isdir(beside) else here


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="update_device",
        description="Install an application image on a Csa device and print the progress.")
    parser.add_argument("image", help="the application image file (.csai)")
    parser.add_argument("--uri", default=DEFAULT_URI,
                        help=f"the device's link URI (default {DEFAULT_URI}, the `csa sim --tcp 5555` device)")
    parser.add_argument("--sdk", default=os.environ.get("CSA_SDK_DIR", default_sdk_dir()),
                        help="folder with Csa.Bootloader.dll and its dependencies (default $CSA_SDK_DIR, else ./sdk beside this script, "
                             "else this script's own folder, as `csa python-sdk DIR` lays it out)")
    return parser.parse_args(argv)


def fail(message, code):
    print(f"update_device: error: {message}", file=sys.stderr)
    return code


def load_sdk(sdk_dir):
    """Start .NET unless a .NET program already embeds this interpreter, then load the SDK assemblies."""
    if "clr" not in sys.modules:
        # A plain python3 with the pythonnet package: it starts the .NET runtime itself. CoreCLR (the SDK targets
        # .NET 8 and 10), unless PYTHONNET_RUNTIME says otherwise; pythonnet's own default on Linux is Mono.
        import pythonnet
        pythonnet.load(os.environ.get("PYTHONNET_RUNTIME", "coreclr"))
    import clr
    if os.path.isdir(sdk_dir):
        sys.path.append(sdk_dir)  # pythonnet looks for assemblies (and their dependencies) on sys.path
    for assembly in ("Csa.DataLink", "Csa.Rpc", "Csa.Bootloader.Protocol", "Csa.Bootloader"):
        clr.AddReference(assembly)


def progress_printer():
    """A handler for FirmwareUpdater.ProgressChanged: one line per stage, and one per tenth of the transfer.

    Reports arrive on .NET threads, possibly several at once (pythonnet takes the GIL for each call).
    """
    lock = threading.Lock()
    last = {"stage": None, "tenth": -1}

    def on_progress(p):
        stage = str(p.Stage)
        tenth = int(p.Fraction * 10)
        with lock:
            if stage == last["stage"] and (stage != "Transferring" or tenth <= last["tenth"]):
                return
            last["stage"], last["tenth"] = stage, tenth
            line = f"progress: {stage:<18}"
            if p.BytesTotal > 0:
                line += f" {p.Fraction:4.0%}  {p.BytesDone}/{p.BytesTotal} bytes"
            if stage == "Transferring" and p.BytesPerSecond > 0:
                line += f"  {p.BytesPerSecond / 1024:.1f} KiB/s"
            if p.ResumeCount > 0:
                line += f"  (resumed {p.ResumeCount}x)"
            print(line.rstrip(), flush=True)

    return on_progress


def on_update_phase(source, event):
    """The bootloader's UpdatePhaseChanged event, as a plain Python callback."""
    print(f"device {source}: update phase {event.Phase}, {event.BytesCommitted} bytes committed", flush=True)


def update(uri, image_path):
    from Csa.Bootloader.Images import ImageReader
    from Csa.Bootloader.Updates import DeviceNetwork, FirmwareUpdater, UpdateOptions

    image = ImageReader.ReadFile(image_path)
    manifest = image.Manifest
    print(f"image {os.path.basename(image_path)}: {manifest.Kind} {manifest.Version}, {manifest.PayloadSize} bytes")

    print(f"connecting to {uri}")
    with DeviceNetwork.Connect(uri) as network:
        devices = list(network.Discover())
        if not devices:
            return fail(f"no device answered on {uri}", EXIT_UNREACHABLE)
        device = devices[0]
        before = device.ApplicationVersion if device.ApplicationValid else "none"
        print(f"found {len(devices)} device(s); updating {device.ProductName} {device.Uid} at {device.Address}: "
              f"application {before} -> {manifest.Version}")

        # A client of the device's bootloader interface, only to hear its events; disposing it ends the subscription.
        with network.CreateBootloaderClient(device) as bootloader:
            bootloader.UpdatePhaseChanged += on_update_phase
            updater = FirmwareUpdater(network, UpdateOptions())
            updater.ProgressChanged += progress_printer()
            result = updater.UpdateApplication(device, image)  # blocks until the new version is confirmed running
        print(f"updated to {result.VersionAfter} in {result.Duration.TotalSeconds:.1f} s "
              f"({result.BytesSent} bytes sent, {result.ResumeCount} resumes)")
    return EXIT_OK


def main(argv=None):
    args = parse_args(argv)
    try:
        load_sdk(args.sdk)
    except ImportError as error:
        return fail(f"pythonnet is not installed ({error}); install it with: pip install pythonnet", EXIT_NO_SDK)
    except Exception as error:  # no .NET runtime, or no SDK assemblies where --sdk points
        return fail(f"cannot load the Csa SDK from {args.sdk}: {getattr(error, 'Message', error)}", EXIT_NO_SDK)

    # .NET exceptions arrive as Python exceptions of their .NET types; str() of one ends in a .NET stack trace,
    # so report its Message: one line that says what is wrong.
    from System import Exception as DotNetException
    from System.IO import IOException
    from Csa.Bootloader.Images import ImageFormatException
    from Csa.Bootloader.Updates import UpdateException
    from Csa.DataLink import DataLinkException
    from Csa.DataLink.Transports import LinkUriException
    from Csa.Rpc import RpcException
    try:
        return update(args.uri, args.image)
    except (IOException, ImageFormatException) as error:
        return fail(f"cannot use {args.image}: {error.Message}", EXIT_UPDATE_FAILED)
    except LinkUriException as error:
        return fail(error.Message, EXIT_USAGE)
    except DataLinkException as error:
        return fail(f"cannot reach the device: {error.Message}", EXIT_UNREACHABLE)
    except RpcException as error:
        return fail(f"the device at {args.uri} did not answer as expected: {error.Message}", EXIT_UNREACHABLE)
    except UpdateException as error:
        return fail(f"update failed: {error.Message}", EXIT_UPDATE_FAILED)
    except DotNetException as error:
        return fail(f"{error.GetType().Name}: {error.Message}", EXIT_UPDATE_FAILED)


if __name__ == "__main__":
    sys.exit(main())
