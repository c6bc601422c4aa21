"""`flask feeds issue`: a feed address for staff helping an officer who cannot use the page."""

import click
from flask.cli import AppGroup

from booking.auth import services as accounts
from booking.errors import DomainError
from booking.extensions import db
from booking.feeds import services
from booking.feeds.models import Feed, FeedKind

feeds = AppGroup("feeds", help="Manage private calendar feeds.")


@feeds.command("issue")
@click.argument("email")
@click.option("--facility", "facility_id", type=int, help="A facility's feed instead of own.")
@click.option("--room", "room_id", type=int, help="A room's feed instead of own.")
def issue(email: str, facility_id: int | None, room_id: int | None) -> None:
    """Print a new feed address for EMAIL; any earlier address of that feed stops working."""
    if facility_id is not None and room_id is not None:
        raise click.UsageError("give --facility or --room, not both")
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    try:
        token = services.issue(user, chosen_feed(facility_id, room_id), by=None)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    web, webcal = services.feed_urls(token)
    click.echo(web)
    click.echo(webcal)


def chosen_feed(facility_id: int | None, room_id: int | None) -> Feed:
    if facility_id is not None:
        return Feed(FeedKind.FACILITY, facility_id)
    if room_id is not None:
        return Feed(FeedKind.ROOM, room_id)
    return Feed(FeedKind.MINE)
