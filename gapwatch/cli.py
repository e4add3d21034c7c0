"""The `gapwatch` command: validate and audit sites, probe streams, replay events, serve."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="gapwatch",
    help="Find and close the blind spots of a camera network.\n\n"
    "查找并消除视频监控网络的盲区。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def main() -> None:
    """Entry point of the `gapwatch` console script."""
    app()


if __name__ == "__main__":
    main()
