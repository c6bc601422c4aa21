"""Flask commands: ``flask seed`` and ``flask users ...``."""

import secrets
import sys

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from booking import audit
from booking.auth import services as accounts
from booking.auth import two_factor
from booking.auth.models import Role
from booking.errors import DomainError
from booking.extensions import db
from booking.feeds.cli import feeds
from booking.notify.cli import mail
from booking.ops import backup, grants
from booking.ops.national import demo
from booking.reports.cli import report
from booking.rooms.models import Facility
from booking.rooms.seed import seed_rooms
from booking.safety.cli import safety

DEMO_ACCOUNTS = (
    ("hogoshi@example.jp", "札幌 太郎", Role.OFFICER, ()),
    ("desk@example.jp", "窓口 花子", Role.MANAGER, ("kita-ward-center", "higashi-ward-center")),
    ("admin@example.jp", "管理 一郎", Role.ADMIN, ()),
)


def from_the_command_line() -> None:
    """Every audit event the account commands write says it came from the command line."""
    token = audit.VIA.set("cli")
    click.get_current_context().call_on_close(lambda: audit.VIA.reset(token))


users = AppGroup("users", help="Manage accounts.", callback=from_the_command_line)


def fail(error: DomainError) -> None:
    db.session.rollback()
    raise click.ClickException(error.message)


@click.command("seed")
@click.option("--update", is_flag=True, help="Overwrite facilities and rooms with the data file.")
@click.option("--demo", is_flag=True, help="Also add a demo officer, manager and admin.")
def seed(update: bool, demo: bool) -> None:
    """Load Sapporo's facilities and rooms; safe to run again."""
    report = seed_rooms(update=update)
    created = create_demo_accounts() if demo else []
    db.session.commit()
    click.echo(
        f"facilities: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} left as they are"
    )
    for email, role, password in created:
        click.echo(f"demo {role}: {email}  password: {password}")
    if created:
        click.echo("These passwords are shown only once.")


def create_demo_accounts() -> list[tuple[str, str, str]]:
    """Add the demo accounts that do not exist yet, each with a fresh random password."""
    created = []
    for email, name, role, codes in DEMO_ACCOUNTS:
        if accounts.find_user(email):
            continue
        ids = db.session.scalars(select(Facility.id).where(Facility.code.in_(codes))).all()
        password = secrets.token_urlsafe(12)
        accounts.create_user(email, name, role, password, facility_ids=ids)
        created.append((email, role.value, password))
    return created


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.OFFICER.value)
@click.option("--phone", default=None)
@click.option("--facility", "facility_ids", type=int, multiple=True, help="Facility id served.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(email, name, role, phone, facility_ids, password_stdin) -> None:
    """Add an account."""
    try:
        user = accounts.create_user(
            email,
            name,
            Role(role),
            read_password(password_stdin),
            phone=phone,
            facility_ids=facility_ids,
        )
    except DomainError as error:
        fail(error)
    db.session.flush()
    audit.record(None, "user.create", user, role=user.role.value)
    db.session.commit()
    click.echo(f"created {user.role.value} {user.sign_in_name}")


@users.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_password(email, password_stdin) -> None:
    """Change a password; the user's open sessions end."""
    user = accounts.find_user(email) or raise_unknown(email)
    try:
        accounts.set_password(user, read_password(password_stdin))
    except DomainError as error:
        fail(error)
    db.session.commit()
    click.echo(f"password changed for {user.sign_in_name}")


@users.command("deactivate")
@click.argument("email")
def deactivate(email) -> None:
    """Stop an account logging in; its open sessions end."""
    user = accounts.find_user(email) or raise_unknown(email)
    accounts.deactivate(user)
    audit.record(None, "user.deactivate", user)
    db.session.commit()
    click.echo(f"deactivated {user.sign_in_name}")


@users.command("end-sessions")
@click.argument("email")
def end_sessions(email) -> None:
    """Sign an account out of every browser (a lost phone, a shared computer)."""
    user = accounts.find_user(email) or raise_unknown(email)
    ended = accounts.end_sessions(user, by=None)
    db.session.commit()
    click.echo(f"ended {ended} session(s) of {user.sign_in_name}")


@users.command("reset-2fa")
@click.argument("email")
def reset_two_factor(email) -> None:
    """Remove an account's second factor (a lost phone); staff set it up again at login."""
    user = accounts.find_user(email) or raise_unknown(email)
    two_factor.reset(user, by=None)
    db.session.commit()
    click.echo(f"second factor removed for {user.sign_in_name}; its sessions ended")


def raise_unknown(email: str):
    raise click.ClickException(f"no user with e-mail {email}")


def init_app(app: Flask) -> None:
    app.cli.add_command(seed)
    app.cli.add_command(users)
    app.cli.add_command(feeds)
    app.cli.add_command(safety)
    app.cli.add_command(mail)
    app.cli.add_command(demo)
    app.cli.add_command(report)
    backup.init_app()
    grants.init_app()
