"""The ``onewindow`` command line (CONTRACT). Bad arguments: one line on stderr, exit 2."""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from sqlalchemy import Connection

from server.settings import Settings, SettingsError, load_settings


class CliError(Exception):
    """A mistake the user can fix; printed as one line."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)


def _settings() -> Settings:
    return load_settings()


def _database(settings: Settings):  # type: ignore[no-untyped-def]
    from server.store.db import open_database

    return open_database(settings.database_url, settings.sqlite_synchronous, settings.db_pool)


def cmd_migrate(args: argparse.Namespace) -> None:
    from server.store.migrate import migrate

    db = _database(_settings())
    try:
        migrate(db)
    finally:
        db.dispose()
    print("schema is up to date")


def demo_token(secret: str, kind: str, name: str) -> str:
    """Demo device tokens are derived from the secret, so `onewindow demo` can print them again."""
    return "demo-" + hmac.new(secret.encode(), f"{kind}:{name}".encode(), hashlib.sha256).hexdigest()[:32]


def cmd_demo(args: argparse.Namespace) -> None:
    from server.auth import hash_password
    from server.demo import DEMO_PASSWORD, DEVICES, JINAN, STAFF, STAFF_DEPARTMENTS, load_demo
    from server.store import accounts
    from server.store.migrate import migrate

    settings = _settings()
    db = _database(settings)
    try:
        migrate(db)
        password_hash = hash_password(DEMO_PASSWORD)
        with db.writer.begin() as conn:
            load_demo(conn)
            for username, role, counter, display, staff_no in STAFF:
                if accounts.find_user(conn, username) is None:
                    accounts.upsert_user(conn, username, password_hash, role, JINAN.code, counter, display, staff_no,
                                         department=STAFF_DEPARTMENTS.get(username))
            tokens = []
            for kind, name, counter in DEVICES:
                token = demo_token(settings.secret_key, kind, name)
                if not accounts.has_token(conn, token):
                    accounts.add_token(conn, token, device_kind=kind, hall=JINAN.code, name=name, counter=counter)
                tokens.append((kind, name, token))
    finally:
        db.dispose()
    print(f"demo hall {JINAN.code} ({JINAN.name}) loaded: {len(JINAN.queues)} queues, {len(JINAN.counters)} counters")
    print(f"staff (password {DEMO_PASSWORD}): " + ", ".join(s[0] for s in STAFF))
    for kind, name, token in tokens:
        if kind != "counter":
            print(f"device token {kind:8s} {name:12s} {token}")
    if args.agent_config:
        agent_token = next(token for kind, name, token in tokens if kind == "agent")
        _write_demo_agent_config(Path(args.agent_config), agent_token)
        print(f"agent configuration for kiosk-1 written to {args.agent_config}")


def _write_demo_agent_config(path: Path, token: str) -> None:
    """The kiosk PC of the demo: its devices are the emulators of `onewindow emulate all` (var/dev)."""
    dev = path.parent / "dev"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"""# The demo kiosk-1's device agent (written by `onewindow demo --agent-config`).
# Its devices are emulated: run `onewindow emulate all --link {dev}` to drive them.
server = "http://127.0.0.1:8000"
token = "{token}"
outbox = "{path.parent / 'agent-outbox.sqlite3'}"
[devices.idcard]
url = "serial://{dev / 'idcard'}?baud=115200"
[devices.printer]
url = "serial://{dev / 'printer'}?baud=9600"
[devices.counterbus]
url = "serial://{dev / 'counterbus'}?baud=9600"
counters = {{ 1 = 1, 2 = 2, 3 = 3 }}
""", encoding="utf-8")


def _read_password() -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise CliError("no password on standard input: pipe it in, e.g. echo 'secret' | onewindow user add ...")
    if len(line) < 8:
        raise CliError("the password must have at least 8 characters")
    return line


def _audit(conn: Connection, action: str, hall: str | None, target: str, detail: dict[str, object]) -> None:
    """Records a CLI change in the audit trail (who ran it on this machine), never a secret."""
    import getpass
    from datetime import UTC, datetime

    from server.store import audit

    try:
        who = getpass.getuser()
    except Exception:
        who = "?"
    audit.add_entry(conn, at=datetime.now(UTC), actor=f"cli:{who}", kind="cli", role="cli", hall=hall,
                    action=action, target=target, detail=detail)


def cmd_user_add(args: argparse.Namespace) -> None:
    from server.auth import hash_password
    from server.store import accounts, repo

    password = _read_password()
    if args.role in ("clerk", "guide", "manager", "department") and not args.hall:
        raise CliError(f"a {args.role} belongs to a hall: add --hall CODE")
    department = (args.department or "").strip() or None
    if args.role == "department" and department is None:
        raise CliError("a department user reports for one department: add --department NAME, e.g. 区市场监管局")
    if args.role != "department" and department is not None:
        raise CliError("--department is only for --role department")
    db = _database(_settings())
    try:
        with db.writer.begin() as conn:
            _check_hall(conn, args.hall, args.counter, repo)
            accounts.upsert_user(conn, args.name, hash_password(password), args.role, args.hall, args.counter,
                                 department=department)
            _audit(conn, "user.add", args.hall, f"user {args.name}",
                   {"role": args.role, "counter": args.counter, "department": department})
    finally:
        db.dispose()
    print(f"user {args.name} ({args.role}) saved")


def _check_hall(conn: Connection, hall: str | None, counter: int | None, repo: object) -> None:
    from server.store import repo as r

    if hall is None:
        if counter is not None:
            raise CliError("--counter needs --hall")
        return
    row = r.hall_row(conn, hall)
    if row is None:
        raise CliError(f"no hall {hall!r}: load it first (onewindow demo) or check the code")
    if counter is not None and counter not in {c["number"] for c in row.config["counters"]}:
        raise CliError(f"hall {hall} has no counter {counter}")


def cmd_token_add(args: argparse.Namespace) -> None:
    from server.store import accounts, repo

    if (args.user is None) == (args.device is None):
        raise CliError("give either --user NAME or --device KIND --hall H --name NAME")
    db = _database(_settings())
    token = accounts.new_token()
    try:
        with db.writer.begin() as conn:
            if args.user:
                row = accounts.find_user(conn, args.user)
                if row is None:
                    raise CliError(f"no user {args.user!r}: add it with onewindow user add")
                accounts.add_token(conn, token, user_id=row.id)
                _audit(conn, "token.add", row.hall, f"user {row.username}", {"for": "user"})
            else:
                if not args.hall or not args.name:
                    raise CliError("a device token needs --hall H and --name NAME")
                _check_hall(conn, args.hall, args.counter, repo)
                accounts.add_token(conn, token, device_kind=args.device, hall=args.hall, name=args.name,
                                   counter=args.counter)
                _audit(conn, "token.add", args.hall, f"{args.device} {args.name}",
                       {"for": "device", "kind": args.device, "counter": args.counter})
    finally:
        db.dispose()
    print(token)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from server.store.migrate import migrate

    settings = _settings()
    if args.workers > 1 and settings.embedded:
        raise CliError(
            f"--workers {args.workers} needs REDIS_URL: without Redis each process would have its own event bus "
            "and screens would miss calls made in the others; set REDIS_URL=redis://host:6379/0 "
            "(and DATABASE_URL to PostgreSQL) or run one worker")
    db = _database(settings)
    try:
        migrate(db)
    finally:
        db.dispose()
    print(f"OneWindow serving on http://{args.host}:{args.port}", flush=True)
    uvicorn.run("server.asgi:create", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level=settings.log_level, proxy_headers=True,
                # broadcast frames are serialised once and sent as they are: compressing them per
                # client would cost more CPU than the whole fan-out
                ws_per_message_deflate=False, ws_ping_interval=settings.ws_ping_s, ws_ping_timeout=settings.ws_ping_s,
                # every change is in the event log; per-request lines cost ~10% CPU
                ws_max_size=64 * 1024, access_log=False)


def cmd_agent(args: argparse.Namespace) -> None:
    from devices.agent.config import ConfigError
    from devices.agent.main import run

    if not os.path.exists(args.config):
        raise CliError(f"no configuration file {args.config!r}")
    try:
        run(args.config, os.environ.get("ONEWINDOW_LOG_LEVEL", "info"))
    except ConfigError as error:
        raise CliError(str(error)) from None


def cmd_emulate(args: argparse.Namespace) -> None:
    from devices.emulate import main as emulate

    emulate(args.kind, args.link)


def build_parser() -> Parser:
    parser = Parser(prog="onewindow", description="OneWindow (一窗) hall server")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    sub.add_parser("migrate", help="create or upgrade the schema").set_defaults(func=cmd_migrate)
    demo = sub.add_parser("demo", help="load the demo hall jinan")
    demo.add_argument("--agent-config", help="also write the demo kiosk's agent configuration to this file")
    demo.set_defaults(func=cmd_demo)
    serve = sub.add_parser("serve", help="migrate, then serve HTTP and WebSockets")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    user = sub.add_parser("user", help="staff accounts").add_subparsers(dest="action", required=True,
                                                                          parser_class=Parser)
    add = user.add_parser("add", help="add or update a user; password on standard input")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("clerk", "guide", "manager", "admin", "department"))
    add.add_argument("--hall")
    add.add_argument("--counter", type=int)
    add.add_argument("--department", help="for --role department: the department whose cases it reports on")
    add.set_defaults(func=cmd_user_add)

    token = sub.add_parser("token", help="bearer tokens").add_subparsers(dest="action", required=True,
                                                                           parser_class=Parser)
    tadd = token.add_parser("add", help="print a new token on the last line")
    tadd.add_argument("--user")
    tadd.add_argument("--device", choices=("kiosk", "display", "counter", "agent"))
    tadd.add_argument("--hall")
    tadd.add_argument("--name")
    tadd.add_argument("--counter", type=int)
    tadd.set_defaults(func=cmd_token_add)

    agent = sub.add_parser("agent", help="run the device agent")
    agent.add_argument("--config", required=True)
    agent.set_defaults(func=cmd_agent)
    emulate = sub.add_parser("emulate", help="run one device's emulator on a pty (prints the path to use)")
    emulate.add_argument("kind", choices=("idcard", "printer", "counterbus", "pcsc", "all"))
    emulate.add_argument("--link", help="a stable path for the device, e.g. var/dev/idcard "
                                        "(for `all`: a folder, default var/dev)")
    emulate.set_defaults(func=cmd_emulate)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (CliError, SettingsError) as exc:
        sys.stderr.write(f"onewindow: error: {exc}\n")
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
