"""``auditor demo``: a workspace for the fictional shop, scanned through the built-in emulators, and its web UI.

Both ways end with the workspace ready for ``auditor serve``: the web keys in its 0600 secrets file and the
demo administrator (a fresh password and authenticator seed, printed once).
"""

from __future__ import annotations

from pathlib import Path

import click

from auditor.cli.common import fail_cleanly
from auditor.cli.progress import ScanProgressDisplay
from auditor.config import load_settings


@click.command()
@click.option("--dir", "directory", default="auditor-demo", show_default=True, type=click.Path(file_okay=False))
@click.option("--no-serve", is_flag=True,
              help="Scan, print the summary and the web credentials; serve later with `auditor serve`.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True, help="Port of the web UI.")
@click.option("--quiet", is_flag=True, help="No progress display.")
@fail_cleanly
def demo(directory: str, no_serve: bool, port: int, quiet: bool) -> None:
    """Create a demo workspace for the fictional shop, scan it through the sandbox emulators, serve the UI."""
    from auditor.cli.summary import print_summary
    from auditor.demo.web_setup import demo_login_banner, ensure_demo_admin
    from auditor.demo.workspace import run_demo

    display = ScanProgressDisplay(quiet=quiet)
    summary, config_file = run_demo(Path(directory), progress=display.step, on_platform=display.platform)
    print_summary(summary, click.echo)
    click.echo(f"\nThe demo workspace is {directory}; try:\n"
               f"  auditor findings --config {config_file}\n"
               f"  auditor findings --config {config_file} --format json --category orphaned_access\n"
               f"  auditor person <uid> --config {config_file}")
    settings = load_settings(config_file)
    username, password, secret = ensure_demo_admin(settings)
    url = f"http://127.0.0.1:{port}/"
    if no_serve:
        click.echo(demo_login_banner(username, password, secret, url,
                                     serve_command=f"auditor serve --config {config_file} --port {port}"))
        return
    from auditor.web.server import serve as serve_web

    click.echo(demo_login_banner(username, password, secret, url))
    serve_web(load_settings(config_file), "127.0.0.1", port)
