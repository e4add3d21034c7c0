"""A real RTSP server for the tests: GStreamer's gst-rtsp-server looping H.264 clips.

Run by the system interpreter (/usr/bin/python3 with python3-gi), not the project's venv:

    /usr/bin/python3 rtsp_server.py --port 8554 --mount clean=/tmp/clean.h264 \
        --auth viewer:secret

Each mount loops an Annex-B H.264 file. `--auth USER:PASS` makes every mount demand Basic
credentials (run a second server for open mounts). When the server listens it prints
`READY <port>` on stdout; it stops on SIGTERM.
This file imports nothing from gapwatch so that the system interpreter can run it.
"""

from __future__ import annotations

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

PIPELINE = (
    "( multifilesrc location={path} loop=true caps=video/x-h264,stream-format=byte-stream "
    "! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )"
)


def _parse_pairs(items: list[str], flag: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            sys.exit(f"{flag} expects NAME=VALUE, got {item!r}")
        pairs[name] = value
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mount", action="append", default=[], help="NAME=PATH.h264")
    parser.add_argument("--auth", help="USER:PASS demanded by every mount")
    parser.add_argument("--unshared", action="store_true", help="one pipeline per client")
    parser.add_argument(
        "--report-setups",
        action="store_true",
        help="print `SETUP <Transport header>` for every client SETUP (which transport it asked)",
    )
    args = parser.parse_args()
    mounts = _parse_pairs(args.mount, "--mount")

    Gst.init(None)
    # Load the plugins now rather than on the first client's connection.
    Gst.parse_launch("multifilesrc ! h264parse ! rtph264pay").set_state(Gst.State.NULL)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))

    if args.auth:
        # No default token: every client must answer the 401 challenge with these credentials.
        user, _, password = args.auth.partition(":")
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "viewer")
        auth = GstRtspServer.RTSPAuth()
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        server.set_auth(auth)

    mount_points = server.get_mount_points()
    for name, path in mounts.items():
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(PIPELINE.format(path=path))
        # Shared media: every client of a mount watches one pipeline, like a camera's one encoder.
        factory.set_shared(not args.unshared)
        if args.auth:
            permissions = GstRtspServer.RTSPPermissions()
            for permission in (
                GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS,
                GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT,
            ):
                permissions.add_permission_for_role("viewer", permission, True)
            factory.set_permissions(permissions)
        mount_points.add_factory(f"/{name}", factory)

    if args.report_setups:

        def on_setup(client: object, context: GstRtspServer.RTSPContext) -> None:
            _, transport = context.request.get_header(GstRtsp.RTSPHeaderField.TRANSPORT, 0)
            print(f"SETUP {transport}", flush=True)

        server.connect(
            "client-connected", lambda _server, client: client.connect("setup-request", on_setup)
        )

    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{args.port}")

    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    print(f"READY {server.get_bound_port()}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
