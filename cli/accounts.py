"""Manage local accounts: ``python -m cli.accounts create --username sam --role planner``.

The database is the one the app uses: ``--database-url`` if given, else the
DATABASE_URL environment variable, else the SQLite file in INSTANCE_FOLDER (by default
``instance/`` at the repo top), as in ``dashboard.config``. Passwords are prompted for
(twice, not echoed) or read from the first line of standard input with
``--password-stdin``; they are stored only as salted scrypt hashes.

``disable`` stops an account signing in and ends its sessions at once (``enable`` undoes
it); ``delete`` removes an account, or, if it saved or presented anything, keeps it as
"deleted-N" with no name, no password and no way in, so nothing saved is lost;
``sign-out`` ends every session of an account (a lost laptop). Each change is written to
the audit log (JSON lines on standard error) by account number.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import SQLAlchemyError

from dashboard.logging_setup import audit, configure_logging
from geo.errors import PlannerError
from geo.workspace.accounts import Role
from geo.workspace.store import ScenarioStore, init_store, sqlite_url

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ROLE_NAMES = [role.label for role in Role]


def database_url(cli_url: str | None, environ: dict[str, str] | None = None) -> str:
    """Return the store URL: the option, else DATABASE_URL, else SQLite in INSTANCE_FOLDER."""
    env = os.environ if environ is None else environ
    if cli_url:
        return cli_url
    if env.get("DATABASE_URL"):
        return env["DATABASE_URL"]
    return sqlite_url(Path(env.get("INSTANCE_FOLDER") or PROJECT_ROOT / "instance"))


def _read_password(from_stdin: bool, stdin: TextIO) -> str:
    if from_stdin:
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise PlannerError("the two passwords typed do not match; nothing was changed")
    return first


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cli.accounts",
                                     description="Manage Day Services Planner accounts.")
    parser.add_argument("--database-url", help="store URL (default: DATABASE_URL or SQLite)")
    commands = parser.add_subparsers(dest="command", required=True)

    create = commands.add_parser("create", help="add an account")
    create.add_argument("--username", required=True)
    create.add_argument("--role", required=True, choices=ROLE_NAMES)
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    create.add_argument("--steering-group", action=argparse.BooleanOptionalAction,
                        default=None, help="member of the steering group (sees confidential "
                        "scenarios); default: yes for planners and up, no for viewers")

    commands.add_parser("list", help="list accounts")

    set_role = commands.add_parser("set-role", help="change an account's role")
    set_role.add_argument("--username", required=True)
    set_role.add_argument("--role", required=True, choices=ROLE_NAMES)

    set_group = commands.add_parser("set-group", help="add to or remove from the steering group")
    set_group.add_argument("--username", required=True)
    set_group.add_argument("--steering-group", action=argparse.BooleanOptionalAction,
                           required=True)

    set_password = commands.add_parser("set-password", help="replace an account's password (ends its sessions)")
    set_password.add_argument("--username", required=True)
    set_password.add_argument("--password-stdin", action="store_true")

    for name, words in (("disable", "stop an account signing in and end its sessions"),
                        ("enable", "let a disabled account sign in again"),
                        ("delete", "remove an account (kept without its name if it saved anything)"),
                        ("sign-out", "end every session of an account")):
        commands.add_parser(name, help=words).add_argument("--username", required=True)
    return parser


def _run(args: argparse.Namespace, store: ScenarioStore, stdin: TextIO, stdout: TextIO) -> None:
    if args.command == "create":
        password = _read_password(args.password_stdin, stdin)
        user = store.create_user(args.username, password, args.role,
                                 steering_group=args.steering_group)
        print(f"created {user.username} ({user.role.label}"
              f"{', steering group' if user.steering_group else ''})", file=stdout)
    elif args.command == "list":
        print(f"{'username':<40} {'role':<8} {'steering_group':<15} disabled", file=stdout)
        for user in store.users():
            print(f"{user.username:<40} {user.role.label:<8} "
                  f"{'yes' if user.steering_group else 'no':<15} "
                  f"{'yes' if store.is_disabled(user.username) else 'no'}", file=stdout)
    elif args.command == "set-role":
        user = store.set_role(args.username, args.role)
        audit("account_role_changed", None, account_id=user.user_id, new_role=user.role.label)
        print(f"{user.username} is now {user.role.label}", file=stdout)
    elif args.command == "set-group":
        user = store.set_steering_group(args.username, args.steering_group)
        audit("account_group_changed", None, account_id=user.user_id, steering_group=user.steering_group)
        state = "in" if user.steering_group else "not in"
        print(f"{user.username} is now {state} the steering group", file=stdout)
    elif args.command == "set-password":
        store.set_password(args.username, _read_password(args.password_stdin, stdin))
        audit("account_password_changed", None, account_id=store.user(args.username).user_id)
        print(f"password changed for {args.username}; its sessions have ended", file=stdout)
    elif args.command in ("disable", "enable"):
        user = store.set_disabled(args.username, args.command == "disable")
        audit(f"account_{args.command}d", None, account_id=user.user_id)
        print(f"{user.username} is {args.command}d", file=stdout)
    elif args.command == "delete":
        account_id = store.user(args.username).user_id
        print(store.delete_user(args.username), file=stdout)
        audit("account_deleted", None, account_id=account_id)
    elif args.command == "sign-out":
        ended = store.end_sessions(args.username)
        audit("account_signed_out", None, account_id=store.user(args.username).user_id, sessions=ended)
        print(f"ended {ended} session{'' if ended == 1 else 's'} of {args.username}", file=stdout)


def main(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None,
         stdout: TextIO | None = None, environ: dict[str, str] | None = None) -> int:
    """Run the command in `argv`; return the exit status (0 done, 1 refused)."""
    args = _parser().parse_args(argv)
    configure_logging()
    try:
        store = init_store(database_url(args.database_url, environ))
    except (SQLAlchemyError, OSError) as exc:  # the operator needs the reason, not a trace
        print(f"error: could not open the account store: {exc}", file=sys.stderr)
        return 1
    try:
        _run(args, store, stdin or sys.stdin, stdout or sys.stdout)
    except PlannerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
