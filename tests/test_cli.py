"""`flask users ...`: accounts made and changed from the command line."""

import pytest

from booking.auth import services as accounts
from booking.auth.models import Role, User
from booking.extensions import db
from tests.conftest import log_in, row_count


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_create_officer_reading_password_from_stdin(runner, client):
    result = runner.invoke(
        args=["users", "create", "New@Example.jp", "--name", "新井 保", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    user = accounts.find_user("new@example.jp")
    assert (user.name, user.role) == ("新井 保", Role.OFFICER)
    assert log_in(client, "new@example.jp", "a long enough password").status_code == 302


def test_create_manager_of_facilities(runner, seeded):
    from booking.rooms.models import Facility

    ids = [str(f.id) for f in db.session.query(Facility).limit(2)]
    args = ["users", "create", "desk@example.jp", "--name", "窓口", "--role", "manager"]
    for facility_id in ids:
        args += ["--facility", facility_id]
    result = runner.invoke(args=[*args, "--password-stdin"], input="quiet front counter 7\n")
    assert result.exit_code == 0, result.output
    assert [str(f.id) for f in accounts.find_user("desk@example.jp").facilities] == ids


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["x@example.jp", "--name", "X"], "short", "8文字以上"),
        (["not-an-email", "--name", "X"], "long enough password", "メールアドレス"),
        (
            ["x@example.jp", "--name", "X", "--facility", "99999"],
            "long enough pw",
            "存在しない施設",
        ),
        (["x@example.jp", "--name", "  "], "long enough password", "氏名"),
    ],
)
def test_bad_account_input_changes_nothing(runner, args, password, message):
    result = runner.invoke(
        args=["users", "create", *args, "--password-stdin"], input=password + "\n"
    )
    assert result.exit_code != 0
    assert message in result.output
    assert row_count(User) == 0


def test_duplicate_email_is_refused(runner, officer):
    result = runner.invoke(
        args=["users", "create", officer.email, "--name", "X", "--password-stdin"],
        input="long enough password\n",
    )
    assert result.exit_code != 0
    assert row_count(User) == 1


def test_set_password_and_deactivate(runner, client, officer):
    result = runner.invoke(
        args=["users", "set-password", officer.email, "--password-stdin"],
        input="the new password\n",
    )
    assert result.exit_code == 0, result.output
    assert log_in(client, officer.email, "the new password").status_code == 302
    assert runner.invoke(args=["users", "deactivate", officer.email]).exit_code == 0
    assert log_in(client, officer.email, "the new password").status_code == 422


def test_unknown_user_is_reported(runner):
    result = runner.invoke(args=["users", "deactivate", "ghost@example.jp"])
    assert result.exit_code != 0
    assert "no user" in result.output


def test_commands_name_an_account_without_email_by_its_login_id(runner, app):
    db.session.add(User(login_id="H123456", name="紙 の人", role=Role.OFFICER))
    db.session.commit()
    result = runner.invoke(args=["users", "deactivate", "h123456"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "deactivated H123456"
