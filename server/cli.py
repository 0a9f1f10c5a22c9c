"""The ``onewindow`` command line (CONTRACT). Bad arguments: one line on stderr, exit 2."""

from __future__ import annotations

import argparse
import hashlib
import hmac
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from sqlalchemy import Connection

from server.settings import Settings, SettingsError, load_settings

USER_TOKEN_DAYS = 90  # `token add --user` without --days: a script's token is renewed each quarter


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
    if not settings.demo:  # its accounts' password is published: never on a real hall's database
        raise CliError("onewindow demo creates accounts with a published password and runs only with ONEWINDOW_DEMO=1")
    db = _database(settings)
    try:
        migrate(db)
        # The demo's published password (demo1234) is weaker than server/domain/passwords.py allows: its
        # accounts are written straight into the store, on purpose and only here, in demo mode.
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
    # The rating tablets answer only their counter's token: counter 1's, as `make run` shows it.
    tablet = next(token for kind, name, token in tokens if kind == "counter" and name == "counter-1")
    print(f"rating tablet of counter 1: /counter/{JINAN.code}/1/rate?token={tablet}")
    if args.agent_config:
        agent_token = next(token for kind, name, token in tokens if kind == "agent")
        _write_demo_agent_config(Path(args.agent_config), agent_token)
        print(f"agent configuration for kiosk-1 written to {args.agent_config}")


def _write_demo_agent_config(path: Path, token: str) -> None:
    """The kiosk PC of the demo: its devices are the emulators of `onewindow emulate all` (var/dev);
    its bus holds the keypads of the counters the demo hall lets it drive (server/demo.py)."""
    from server.demo import AGENT_COUNTERS

    bus = ", ".join(f"{n} = {n}" for n in AGENT_COUNTERS["kiosk-1"])
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
counters = {{ {bus} }}
""", encoding="utf-8")


def _read_password() -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise CliError("no password on standard input: pipe it in, e.g. echo 'secret' | onewindow user add ...")
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
    from server.domain import passwords
    from server.domain.errors import InvalidInput
    from server.store import accounts, repo

    password = _read_password()
    if args.role in ("clerk", "guide", "manager", "department") and not args.hall:
        raise CliError(f"a {args.role} belongs to a hall: add --hall CODE")
    department = (args.department or "").strip() or None
    if args.role == "department" and department is None:
        raise CliError("a department user reports for one department: add --department CODE, e.g. SCJG")
    if args.role != "department" and department is not None:
        raise CliError("--department is only for --role department")
    try:  # the same rule as the API's (the demo's accounts alone skip it: cmd_demo)
        passwords.check(password, (args.name, args.hall, department))
    except InvalidInput as error:
        raise CliError(error.message) from None
    db = _database(_settings())
    try:
        with db.writer.begin() as conn:
            _check_hall(conn, args.hall, args.counter, repo)
            if department is not None:
                department = _department_code(conn, args.hall, department)
            accounts.upsert_user(conn, args.name, hash_password(password), args.role, args.hall, args.counter,
                                 department=department, must_change_password=args.must_change)
            _audit(conn, "user.add", args.hall, f"user {args.name}",
                   {"role": args.role, "counter": args.counter, "department": department,
                    "must_change": args.must_change})
    finally:
        db.dispose()
    print(f"user {args.name} ({args.role}) saved")


def _department_code(conn: Connection, hall: str, given: str) -> str:
    """The code of the hall's department that ``given`` names by its code or its name."""
    from server.store import catalog

    known = catalog.department_list(conn, hall, active_only=True)
    found = next((d["code"] for d in known if given in (d["code"], d["name"])), None)
    if found is None:
        codes = ", ".join(f"{d['code']} ({d['name']})" for d in known) or "none yet: add them in /admin first"
        raise CliError(f"hall {hall} has no department {given!r}; its departments: {codes}")
    return str(found)


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
    from datetime import UTC, datetime, timedelta

    from server.domain.errors import DomainError
    from server.services.devices import issue_token
    from server.store import accounts, repo

    if (args.user is None) == (args.device is None):
        raise CliError("give either --user NAME or --device KIND --hall H --name NAME")
    if args.device and args.days is not None:
        raise CliError("--days is for --user tokens: a device token lasts until revoked (onewindow token revoke)")
    days = USER_TOKEN_DAYS if args.days is None else args.days
    if not 1 <= days <= 3650:
        raise CliError("--days must be 1 to 3650")
    db = _database(_settings())
    token = accounts.new_token()
    try:
        with db.writer.begin() as conn:
            if args.user:
                row = accounts.find_user(conn, args.user)
                if row is None:
                    raise CliError(f"no user {args.user!r}: add it with onewindow user add")
                accounts.add_token(conn, token, user_id=row.id, expires_at=datetime.now(UTC) + timedelta(days=days))
                _audit(conn, "token.add", row.hall, f"user {row.username}", {"for": "user", "days": days})
            else:
                if not args.hall or not args.name:
                    raise CliError("a device token needs --hall H and --name NAME")
                _check_hall(conn, args.hall, None, repo)
                try:  # the same rules as the 设备 tab's 签发新设备 (server/services/devices.py)
                    token = issue_token(conn, args.hall, args.device, args.name, args.counter).token
                except DomainError as error:
                    raise CliError(error.en) from None
                _audit(conn, "token.add", args.hall, f"{args.device} {args.name.strip()}",
                       {"for": "device", "kind": args.device, "counter": args.counter})
    finally:
        db.dispose()
    print(token)


def cmd_agent_counters(args: argparse.Namespace) -> None:
    """The counters whose keypads and evaluators the agent NAME may drive: the hall decides, not the
    agent's hello. Numbers given: exactly those; --clear: none; neither: shows them."""
    from server.store import devices, repo

    if args.clear and args.counters:
        raise CliError("give counter numbers or --clear, not both")
    db = _database(_settings())
    try:
        with db.writer.begin() as conn:
            for number in args.counters:
                _check_hall(conn, args.hall, number, repo)
            _check_hall(conn, args.hall, None, repo)
            if args.clear or args.counters:
                devices.set_counters_of_agent(conn, args.hall, args.name, set(args.counters))
                _audit(conn, "agent-counters.set", args.hall, f"agent {args.name}",
                       {"counters": sorted(set(args.counters))})
            counters = sorted(devices.counters_of_agent(conn, args.hall, args.name))
    finally:
        db.dispose()
    shown = ", ".join(str(n) for n in counters) or "none"
    print(f"agent {args.name} of hall {args.hall} drives counters: {shown}")


def _outlive_the_caches() -> None:
    """Returns once every running server has forgotten what it knew before our commit: they keep a
    token's holder TOKEN_CACHE_S (server/context.py), and this process cannot reach their memory bus."""
    import time

    from server.context import TOKEN_CACHE_S

    time.sleep(TOKEN_CACHE_S)


def cmd_hall_create(args: argparse.Namespace) -> None:
    """An empty hall (CONTRACT v2), or a new name for an existing one; its administrator does the rest."""
    from server.domain.errors import InvalidInput
    from server.services.layout import create_hall

    db = _database(_settings())
    try:
        with db.writer.begin() as conn:
            try:
                created = create_hall(conn, args.code, args.name)
            except InvalidInput as error:
                raise CliError(error.en) from None
            _audit(conn, "hall.create" if created else "hall.rename", args.code, f"hall {args.code}",
                   {"name": args.name.strip()})
    finally:
        db.dispose()
    done = "created: no queues, counters or items yet" if created else "renamed"
    print(f"hall {args.code} ({args.name.strip()}) {done}")


def cmd_catalog_import(args: argparse.Namespace) -> None:
    """The hall's whole catalog from an .xlsx or .csv file, all or nothing (CONTRACT v2): every bad
    row and column on standard error, one per line, and nothing applied."""
    from server.domain.catalog import CatalogInvalid
    from server.domain.errors import InvalidInput
    from server.services.catalog import parse_catalog
    from server.store import catalog, repo

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror}") from None
    db = _database(_settings())
    try:
        with db.writer.begin() as conn:
            row = repo.hall_row(conn, args.hall)
            if row is None:
                raise CliError(f"no hall {args.hall!r} (onewindow hall create {args.hall} --name NAME makes one)")
            queues = {q["code"] for q in (row.config or {}).get("queues", [])}
            try:
                items = parse_catalog(conn, args.hall, queues, data, path.name)
            except CatalogInvalid as error:
                for problem in error.problems:
                    sys.stderr.write(f"{path.name}: {problem}\n")
                raise CliError(f"{error.zh} ({len(error.problems)} problems; nothing was imported)") from None
            except InvalidInput as error:
                raise CliError(error.message) from None
            before = len(catalog.items_of(conn, args.hall))
            catalog.replace_items(conn, args.hall, items)
            _audit(conn, "catalog.import", args.hall, f"hall {args.hall}",
                   {"file": path.name, "before": f"{before} 项事项", "after": f"{len(items)} 项事项"})
    finally:
        db.dispose()
    print(f"catalog of {args.hall}: {len(items)} items imported from {path.name} (there were {before})")


def cmd_catalog_export(args: argparse.Namespace) -> None:
    """The catalog in the import's columns; the file's suffix (.xlsx or .csv) says which."""
    from server.services.catalog import catalog_items
    from server.services.catalog_files import kind_of, write_catalog
    from server.store import repo

    path = Path(args.file)
    kind = kind_of(path.name)
    if kind is None:
        raise CliError(f"{path.name}: name the file .xlsx or .csv")
    db = _database(_settings())
    try:
        with db.reader.connect() as conn:
            if repo.hall_row(conn, args.hall) is None:
                raise CliError(f"no hall {args.hall!r}")
            items = catalog_items(conn, args.hall)
    finally:
        db.dispose()
    try:
        path.write_bytes(write_catalog(items, kind))
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror}") from None
    print(f"catalog of {args.hall}: {len(items)} items written to {path}")


def cmd_ratings_export(args: argparse.Namespace) -> None:
    """The day's 好差评 in the national layout: the file (--file, else ONEWINDOW_HCP_DIR), and with
    ONEWINDOW_HCP_URL each rating not sent yet, POSTed now (docs/kpis.md "好差评 to the province")."""
    from server.domain.errors import InvalidInput
    from server.jobs.rating_export import export_day
    from server.params import day

    try:
        when = day(args.date, "--date")
    except InvalidInput as error:
        raise CliError(error.message) from None
    settings = _settings()
    hcp = settings.hcp
    try:
        done = export_day(args.hall, when.isoformat(), settings.database_url, url=hcp.url, secret=hcp.secret,
                          region=hcp.region, folder=hcp.folder or "var/hcp", file=args.file,
                          base_delay=hcp.retry_s)
    except ValueError as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"cannot write the file: {error.strerror}") from None
    print(f"好差评 of {args.hall} on {when}: {done.ratings} ratings written to {', '.join(done.files)}")
    if hcp.url:
        print(f"sent {done.sent}, refused {done.failed}, still to send {done.pending}")


def cmd_user_disable(args: argparse.Namespace) -> None:
    """Disables the user and ends every token and session of theirs, in every running server by the
    time the command returns."""
    from server.store import accounts

    db = _database(_settings())
    try:
        with db.writer.begin() as conn:
            row = accounts.find_user(conn, args.name)
            if row is None:
                raise CliError(f"no user {args.name!r}")
            accounts.update_user(conn, row.id, active=False)
            ended = accounts.revoke_user_tokens(conn, row.id)
            _audit(conn, "user.disable", row.hall, f"user {row.username}", {"tokens_ended": ended})
    finally:
        db.dispose()
    _outlive_the_caches()
    print(f"user {args.name} disabled; {ended} tokens and sessions ended (onewindow user add enables it again)")


def cmd_token_list(args: argparse.Namespace) -> None:
    """The hall's live device tokens by their public id; never the tokens themselves."""
    from server.store import accounts, repo

    db = _database(_settings())
    try:
        with db.reader.connect() as conn:
            _check_hall(conn, args.hall, None, repo)
            tokens = accounts.device_tokens(conn, args.hall)
    finally:
        db.dispose()
    print(f"{'ID':<{accounts.TOKEN_ID_LENGTH}}  {'KIND':<8} {'NAME':<16} {'COUNTER':>7}  CREATED")
    for t in tokens:
        counter = "" if t["counter"] is None else str(t["counter"])
        print(f"{t['id']}  {t['kind']:<8} {t['name'] or '':<16} {counter:>7}  {t['created_at']:%Y-%m-%d %H:%M} UTC")


def cmd_token_revoke(args: argparse.Namespace) -> None:
    from server.store import accounts, repo

    db = _database(_settings())
    try:
        with db.writer.begin() as conn:
            _check_hall(conn, args.hall, None, repo)
            found = accounts.find_device_token(conn, args.hall, args.id.lower())
            if len(found) != 1:
                raise CliError(f"no live device token {args.id!r} in hall {args.hall} (see onewindow token list)"
                               if not found else f"several tokens start with {args.id!r}: give more of the id")
            accounts.revoke_hash(conn, found[0])
            _audit(conn, "token.revoke", args.hall, f"token {args.id}", {"for": "device"})
    finally:
        db.dispose()
    _outlive_the_caches()
    print(f"device token {args.id} of hall {args.hall} revoked")


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _backup_error(error: Exception) -> str:
    """One line for the manager: ours as they are, the database's first line (unreachable, refused)."""
    from sqlalchemy.exc import DBAPIError

    from server.services.backups import BackupError

    if isinstance(error, BackupError):
        return str(error)
    if isinstance(error, OSError):  # a full disk, a folder we may not write
        return f"{error.strerror or error}: {error.filename}" if error.filename else str(error)
    if isinstance(error, DBAPIError):
        first = str(error.orig).strip().splitlines()[0] if error.orig is not None else type(error).__name__
        return f"the database answered: {first}"
    raise error


def cmd_backup(args: argparse.Namespace) -> None:
    """A consistent copy of the whole database, while the server runs (docs/operations.md)."""
    from server.services.backups import backup

    settings = _settings()
    try:
        made = backup(settings.database_url, Path(args.file))
    except Exception as error:
        raise CliError(_backup_error(error)) from None
    print(f"backup of {_shown(settings.database_url)} written to {made.path}: {made.kind}, {made.size:,} bytes "
          f"in {made.took_s:.2f} s (onewindow restore {made.path} puts it back)")


def cmd_restore(args: argparse.Namespace) -> None:
    """The backup into an empty database (or any with --force); then says where the copy ends."""
    import getpass
    from datetime import UTC, datetime

    from server.services.backups import restore

    settings = _settings()
    if args.skip_numbers is not None and not 0 <= args.skip_numbers <= 9000:
        raise CliError("--skip-numbers must be 0 to 9000")
    try:
        who = getpass.getuser()
    except Exception:
        who = "?"
    try:
        restored = restore(settings.database_url, Path(args.file), datetime.now(UTC), force=args.force,
                           skip_numbers=args.skip_numbers, actor=f"cli:{who}")
    except Exception as error:
        raise CliError(_backup_error(error)) from None
    print(f"restored {args.file} ({restored.kind}) into {_shown(settings.database_url)}")
    for end in restored.halls:
        for line in _copy_end(end):
            print(line)
    if not restored.halls:
        print("the copy holds no hall")


def _copy_end(end: object) -> list[str]:
    """Where the copy ends for one hall, for the manager: which paper tickets it never saw."""
    from server.services.backups import HallEnd

    assert isinstance(end, HallEnd)
    ended = f"at {end.last_change.astimezone(end.tz):%Y-%m-%d %H:%M:%S %z}" if end.last_change else "before any event"
    lines = [f"hall {end.code} ({end.name}): the copy ends {ended}, seq {end.copy_seq}"]
    if end.last_day is not None:
        numbers = " ".join(f"{q}{n:03d}" for q, n in sorted(end.last_numbers.items()))
        lines.append(f"  last numbers of {end.last_day}: {numbers}")
    else:
        lines.append("  no ticket in the copy")
    if end.open_tickets:
        counts = ", ".join(f"{q} {n}" for q, n in sorted(end.open_tickets.items()))
        lines.append(f"  still open in the copy: {sum(end.open_tickets.values())} tickets ({counts}); they may have "
                     "been served since: clerks mark those who do not come as 过号")
    floors = " ".join(f"{q}{n + 1:03d}" for q, n in sorted(end.floors.items()))
    lines.append(f"  new history: seq continues from {end.new_seq} (screens get a fresh snapshot); "
                 f"numbers of {end.today} continue from {floors}")
    return lines


def cmd_copy_database(args: argparse.Namespace) -> None:
    """Every row of DATABASE_URL's database into the empty one at --to (moving SQLite to PostgreSQL)."""
    from server.services.backups import copy_database

    settings = _settings()
    if not args.to.startswith(("sqlite", "postgresql", "postgres")):
        raise CliError(f"--to must be sqlite:///path or postgresql://user@host/db, not {args.to!r}")
    try:
        counts = copy_database(settings.database_url, args.to)
    except Exception as error:
        raise CliError(_backup_error(error)) from None
    print(f"copied {sum(counts.values()):,} rows of {len(counts)} tables from {_shown(settings.database_url)} "
          f"to {_shown(args.to)} (halls: {counts.get('halls', 0)}, tickets: {counts.get('tickets', 0)}, "
          f"events: {counts.get('events', 0)}); now set DATABASE_URL to it")


def cmd_serve(args: argparse.Namespace) -> None:
    import tempfile

    import uvicorn

    from server import logs
    from server.serving import GuardedHttpToolsProtocol
    from server.store.migrate import migrate

    settings = _settings()
    limits = settings.limits
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
    logs.configure(settings.log_level, settings.log_format)
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # the workers keep their counts in one folder so that /metrics, asked of any, adds them all up
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="onewindow-metrics-")
    logging.getLogger("onewindow").info("OneWindow serving on http://%s:%s", args.host, args.port)
    uvicorn.run("server.asgi:create", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level=settings.log_level, proxy_headers=True,
                # broadcast frames are serialised once and sent as they are: compressing them per
                # client would cost more CPU than the whole fan-out
                ws_per_message_deflate=False, ws_ping_interval=settings.ws_ping_s, ws_ping_timeout=settings.ws_ping_s,
                # every change is in the event log; per-request lines cost ~10% CPU
                ws_max_size=64 * 1024, access_log=False, log_config=logs.uvicorn_config(settings.log_level),
                # what one client may hold (server/serving.py: the head's time and size, the connections)
                http=GuardedHttpToolsProtocol, timeout_keep_alive=limits.keep_alive_s,
                h11_max_incomplete_event_size=limits.max_header_bytes)


def cmd_static(args: argparse.Namespace) -> None:
    from server.web import collect_static

    target = Path(args.folder)
    if target.exists() and not target.is_dir():
        raise CliError(f"{target} is not a folder")
    count = collect_static(target)
    print(f"{count} static files in {target}")


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


def cmd_simulate(args: argparse.Namespace) -> None:
    """A hall day simulated on the real engine (docs/simulation.md): from a profile file, or from
    the hall's own history (the same weekday over the last --history-weeks weeks)."""
    import json
    from datetime import UTC, datetime

    from sqlalchemy.exc import SQLAlchemyError

    from server.domain.errors import DomainError
    from server.domain.model import PolicyConfig
    from server.simulation import ProfileError, load_profile, simulate

    if args.hall is not None and args.history_weeks is None:
        raise CliError("--hall needs --history-weeks N (the weeks of history to fit the profile from)")
    if args.profile is not None and (args.history_weeks is not None or args.weekday is not None):
        raise CliError("--history-weeks and --weekday go with --hall, not with --profile")
    if not 1 <= args.days <= 366:
        raise CliError("--days: 1 to 366")
    try:
        if args.profile is not None:
            profile = load_profile(args.profile)
            config = profile.hall_config()
        else:
            from server.services.simulation import WEEKDAYS, fitted_profile

            weekday = WEEKDAYS.index(args.weekday) if args.weekday else None
            db = _database(_settings())
            try:
                with db.reader.connect() as conn:
                    config, profile = fitted_profile(conn, args.hall, weeks=args.history_weeks,
                                                     now=datetime.now(UTC), weekday=weekday)
            except SQLAlchemyError as error:
                raise CliError(f"cannot read the hall's history ({type(error).__name__}); "
                               "has `onewindow migrate` run on this database?") from None
            finally:
                db.dispose()
        policy = PolicyConfig(kind=args.policy) if args.policy else None
        result = simulate(config, profile, days=args.days, seed=args.seed, policy=policy)
    except (ProfileError, ValueError) as error:
        raise CliError(str(error)) from None
    except DomainError as error:
        raise CliError(error.message) from None
    if args.charts:
        folder = Path(args.charts)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name, svg in result.charts().items():
                (folder / name).write_text(svg, encoding="utf-8")
        except OSError as error:
            raise CliError(f"cannot write the charts into {folder}: {error.strerror}") from None
    if args.format == "json":
        print(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        print(result.as_table())


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

    backup = sub.add_parser("backup", help="a consistent copy of the whole database, while the server runs")
    backup.add_argument("file", help="the backup file to write, e.g. /srv/backups/onewindow-20261125.backup")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="a backup into an empty database (stop the servers first)")
    restore.add_argument("file")
    restore.add_argument("--force", action="store_true", help="replace everything in a database that is not empty")
    restore.add_argument("--skip-numbers", type=int, metavar="N",
                         help="today's numbers continue N past the copy's, rounded up to a hundred "
                              "(default: a busy day's issuing, at least 100; 0: straight on)")
    restore.set_defaults(func=cmd_restore)
    copy = sub.add_parser("copy-database", help="copy every row into another, empty database (SQLite to PostgreSQL)")
    copy.add_argument("--to", required=True, metavar="URL", help="e.g. postgresql://onewindow@db-host/onewindow")
    copy.set_defaults(func=cmd_copy_database)

    hall = sub.add_parser("hall", help="halls").add_subparsers(dest="action", required=True, parser_class=Parser)
    create = hall.add_parser("create", help="create an empty hall, or rename one")
    create.add_argument("code", help="e.g. jinan: 2-32 lower-case letters, digits or hyphens")
    create.add_argument("--name", required=True, help="e.g. 晋安区行政服务中心")
    create.set_defaults(func=cmd_hall_create)

    catalog = sub.add_parser("catalog", help="the service-item catalog (事项目录)").add_subparsers(
        dest="action", required=True, parser_class=Parser)
    cimport = catalog.add_parser("import", help="replace a hall's catalog with an .xlsx or .csv file, all or nothing")
    cimport.add_argument("--hall", required=True)
    cimport.add_argument("file")
    cimport.set_defaults(func=cmd_catalog_import)
    cexport = catalog.add_parser("export", help="write a hall's catalog to an .xlsx or .csv file")
    cexport.add_argument("--hall", required=True)
    cexport.add_argument("file")
    cexport.set_defaults(func=cmd_catalog_export)

    rated = sub.add_parser("ratings", help="好差评 (ratings)").add_subparsers(dest="action", required=True,
                                                                          parser_class=Parser)
    rexport = rated.add_parser("export", help="write a day's 好差评 in the national layout and, with "
                                              "ONEWINDOW_HCP_URL, send the ratings not sent yet")
    rexport.add_argument("--hall", required=True)
    rexport.add_argument("--date", required=True, help="the hall-local day, YYYY-MM-DD")
    rexport.add_argument("--file", help="write this file (.csv, or .jsonl for JSON lines) instead of both "
                                        "in ONEWINDOW_HCP_DIR")
    rexport.set_defaults(func=cmd_ratings_export)

    user = sub.add_parser("user", help="staff accounts").add_subparsers(dest="action", required=True,
                                                                          parser_class=Parser)
    add = user.add_parser("add", help="add or update a user; password on standard input")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("clerk", "guide", "manager", "admin", "department"))
    add.add_argument("--hall")
    add.add_argument("--counter", type=int)
    add.add_argument("--department", help="for --role department: the code (or name) of the hall's department "
                                          "whose cases it reports on")
    add.add_argument("--must-change", action="store_true",
                     help="the user must choose their own password at the next sign-in")
    add.set_defaults(func=cmd_user_add)
    disable = user.add_parser("disable", help="disable a user and end every token and session of theirs")
    disable.add_argument("name")
    disable.set_defaults(func=cmd_user_disable)

    token = sub.add_parser("token", help="bearer tokens").add_subparsers(dest="action", required=True,
                                                                           parser_class=Parser)
    tadd = token.add_parser("add", help="print a new token on the last line")
    tadd.add_argument("--user")
    tadd.add_argument("--device", choices=("kiosk", "display", "counter", "agent"))
    tadd.add_argument("--hall")
    tadd.add_argument("--name")
    tadd.add_argument("--counter", type=int)
    tadd.add_argument("--days", type=int, help=f"a --user token's life in days (default {USER_TOKEN_DAYS}); "
                                               "device tokens last until revoked")
    tadd.set_defaults(func=cmd_token_add)
    tlist = token.add_parser("list", help="a hall's device tokens by id (never the tokens themselves)")
    tlist.add_argument("--hall", required=True)
    tlist.set_defaults(func=cmd_token_list)
    revoke = token.add_parser("revoke", help="revoke a device token by the id `token list` shows")
    revoke.add_argument("--hall", required=True)
    revoke.add_argument("id")
    revoke.set_defaults(func=cmd_token_revoke)

    drives = sub.add_parser("agent-counters", help="set (or show) the counters an agent's keypads may drive")
    drives.add_argument("--hall", required=True)
    drives.add_argument("--name", required=True, help="the agent's name, as in its token (--name)")
    drives.add_argument("counters", nargs="*", type=int, metavar="COUNTER")
    drives.add_argument("--clear", action="store_true", help="it drives no counter")
    drives.set_defaults(func=cmd_agent_counters)

    simulate = sub.add_parser("simulate", help="simulate hall days on the real engine (docs/simulation.md)")
    source = simulate.add_mutually_exclusive_group(required=True)
    source.add_argument("--profile", metavar="FILE", help="a profile, e.g. docs/simulation/jinan.toml")
    source.add_argument("--hall", help="fit the profile from this hall's history in the database")
    simulate.add_argument("--history-weeks", type=int, metavar="N", help="with --hall: the weeks of history")
    simulate.add_argument("--weekday", choices=("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"),
                          help="with --hall: the weekday to fit (default: today's)")
    simulate.add_argument("--days", type=int, default=1)
    simulate.add_argument("--seed", type=int, default=0, help="the same seed repeats a run exactly")
    simulate.add_argument("--policy", choices=("guarded", "strict", "ratio", "weighted"),
                          help="simulate this calling policy instead of the profile's or the hall's")
    simulate.add_argument("--format", choices=("table", "json"), default="table")
    simulate.add_argument("--charts", metavar="DIR", help="also write waits.svg and timeline.svg there")
    simulate.set_defaults(func=cmd_simulate)

    static = sub.add_parser("static", help="copy every /static file into a folder for nginx to serve (deploy/)")
    static.add_argument("folder")
    static.set_defaults(func=cmd_static)

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
