"""Who may use the desk: organizer accounts (`user ...`) and API tokens (`token ...`)."""
from __future__ import annotations

import click

from bot.services import for_command
from bot.settings import Settings


@click.group()
def token() -> None:
    """API tokens (one organization each)."""


@token.command("create")
@click.argument("organization")
@click.argument("name")
def token_create(organization: str, name: str) -> None:
    """Create a token for ORGANIZATION; it is printed once and stored hashed."""
    from bot.desk.tokens import create_token

    services = for_command()
    try:
        click.echo(create_token(services, organization, name))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@token.command("revoke")
@click.argument("organization")
@click.argument("name")
def token_revoke(organization: str, name: str) -> None:
    from bot.desk.tokens import revoke

    services = for_command()
    click.echo(f"{revoke(services, organization, name)} token(s) revoked")


@click.group()
def user() -> None:
    """Organizer accounts for the web pages."""


@user.command("create")
@click.argument("organization")
@click.argument("email")
@click.option("--name", default="", help="Shown on the pages; the email when empty.")
@click.option("--role", type=click.Choice(["organizer", "admin"]), default="organizer", show_default=True)
@click.option("--password", envvar="STREETLINE_PASSWORD", prompt=True, hide_input=True,
              confirmation_prompt=True, help="Asked for when not given (or set STREETLINE_PASSWORD).")
def user_create(organization: str, email: str, name: str, role: str, password: str) -> None:
    """Create an account; the first one of an organization should be --role admin."""
    from bot.desk.accounts import AccountError, create_user

    services = for_command()
    try:
        account = create_user(services, organization, email, name, password, role)
        click.echo(f"{account.role} {account.email} created for {account.organization}")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc


@user.command("password")
@click.argument("email")
@click.option("--password", envvar="STREETLINE_PASSWORD", prompt=True, hide_input=True,
              confirmation_prompt=True)
def user_password(email: str, password: str) -> None:
    """Set a new password for an account."""
    from bot.desk.accounts import AccountError, set_password

    services = for_command()
    try:
        set_password(services, email, password)
        click.echo(f"password changed for {email}")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc


@user.command("disable")
@click.argument("email")
def user_disable(email: str) -> None:
    """Disable an account: it cannot sign in, and its open sessions end at once."""
    from bot.desk.accounts import AccountError, disable_user

    services = for_command()
    try:
        disable_user(services, email)
        click.echo(f"disabled {email}; its sessions are over")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc


@user.command("demo")
@click.option("--password", envvar="STREETLINE_DEMO_PASSWORD", required=True)
def user_demo(password: str) -> None:
    """Create admin@<org>.demo for each demo organization that has no account yet (never in production)."""
    from sqlalchemy import select

    from bot.desk.accounts import create_user
    from bot.models import User

    settings = Settings.from_env()
    if settings.production:
        raise click.ClickException("demo accounts are for development only")
    services = for_command()
    with services.db() as session:
        taken = set(session.scalars(select(User.organization)))
    for org in services.catalog.organizations.values():
        if org.demo and org.slug not in taken:
            create_user(services, org.slug, f"admin@{org.slug}.demo", f"{org.name} admin", password, "admin")
            click.echo(f"demo admin admin@{org.slug}.demo")
