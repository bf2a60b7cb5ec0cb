"""`hub web`: the dashboard's access — `hub web passwd` sets its password (runner/dashboard/passwords.py;
the pages are served by `hub serve`, runner/dashboard/)."""

from __future__ import annotations

import argparse
import getpass
import sys

from runner.commands.common import Subparsers, add_command, add_group
from runner.config import Config
from runner.errors import CommandError


def register(subparsers: Subparsers) -> None:
    sub = add_group(
        subparsers,
        "web",
        help="the dashboard of `hub serve`: its password",
        description="The dashboard (served by `hub serve` at /): set the password that signs in to it.",
    )
    add_command(
        sub,
        "passwd",
        cmd_web_passwd,
        help="set the dashboard password (read from standard input unless it is a terminal)",
        description="Set the dashboard password. On a terminal it is asked twice (not echoed); otherwise "
        "the first line of standard input is the password (`printf '%%s\\n' \"$PW\" | hub web passwd`). "
        "It is stored only as an argon2id hash, encrypted as a secret setting (dashboard.password_hash); "
        "every session signed in with the old password is signed out.",
        environment=True,
    )


def read_new_password() -> str:
    """The new password: prompted twice on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        first = getpass.getpass("New dashboard password: ")
        second = getpass.getpass("Again: ")
        if first != second:
            raise CommandError("the two passwords differ; nothing changed")
        return first
    line = sys.stdin.readline()
    if not line:
        raise CommandError("no password on standard input (one line expected); nothing changed")
    return line.rstrip("\r\n")


def cmd_web_passwd(cfg: Config, args: argparse.Namespace) -> int:
    from runner.dashboard.passwords import PasswordRefused, set_password
    from runner.db import target_for
    from runner.secret_key import load_secret_key
    from runner.settings import Settings

    password = read_new_password()
    with Settings(target_for(cfg).app, secret_key=load_secret_key(cfg), listen=False) as settings:
        try:
            set_password(settings, password)
        except PasswordRefused as exc:
            raise CommandError(f"{exc}; nothing changed") from None
    print("dashboard password set (sessions signed in with the previous one are signed out)")
    return 0
