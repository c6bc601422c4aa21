"""Two-factor authentication: TOTP codes, recovery codes, enrolment, required for staff."""

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from booking import create_app
from booking.audit import AuditEvent
from booking.auth import two_factor
from booking.auth.models import LoginSession, RecoveryCode, Role
from booking.errors import NotAllowed
from booking.extensions import db
from tests.conftest import TEST_PASSWORD, Client, config_for, csrf_token, log_in


def is_logged_in(client) -> bool:
    return client.get("/reservations/").status_code == 200


def totp(user, moment):
    return pyotp.TOTP(user.totp_secret).at(moment)


@pytest.fixture
def manager(make_user, facility):
    return make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility])


# --- codes ------------------------------------------------------------------------------------


def test_the_current_code_is_accepted_once(manager, now):
    assert two_factor.accept_totp(manager, totp(manager, now))
    assert not two_factor.accept_totp(manager, totp(manager, now))  # not within its step


def test_a_neighbouring_step_is_accepted_for_a_slow_clock(manager, now):
    assert two_factor.accept_totp(manager, totp(manager, now - timedelta(seconds=30)))


@pytest.mark.parametrize("seconds", [-90, 90, 3600])
def test_codes_of_other_times_are_refused(manager, now, seconds):
    assert not two_factor.accept_totp(manager, totp(manager, now + timedelta(seconds=seconds)))


def test_an_earlier_step_is_refused_after_a_later_one(manager, now):
    assert two_factor.accept_totp(manager, totp(manager, now))
    assert not two_factor.accept_totp(manager, totp(manager, now - timedelta(seconds=30)))


def test_full_width_digits_and_spaces_are_accepted(manager, now):
    code = totp(manager, now)
    typed = " ".join(code).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    two_factor.verify(manager, typed)


# --- logging in -------------------------------------------------------------------------------


def password_step(client, user):
    data = {"email": user.email, "password": TEST_PASSWORD, "csrf_token": csrf_token(client)}
    return client.post("/login", data=data)


def code_step(client, code):
    data = {"code": code, "csrf_token": csrf_token(client, "/login/code")}
    return client.post("/login/code", data=data)


def test_login_asks_for_the_code_after_the_password(client, manager, now):
    response = password_step(client, manager)
    assert response.headers["Location"] == "/login/code"
    assert not is_logged_in(client)
    assert db.session.scalar(select(LoginSession)) is None
    wrong = code_step(client, "000000" if totp(manager, now) != "000000" else "111111")
    assert wrong.status_code == 422
    assert "確認コードが違います" in wrong.get_data(as_text=True)
    assert not is_logged_in(client)
    assert code_step(client, totp(manager, now)).status_code == 302
    assert is_logged_in(client)


def test_a_code_cannot_be_used_for_a_second_login_in_its_step(app, client, manager, now):
    password_step(client, manager)
    assert code_step(client, totp(manager, now)).status_code == 302
    other = app.test_client()
    password_step(other, manager)
    assert code_step(other, totp(manager, now)).status_code == 422


def test_the_code_page_without_a_password_goes_back_to_login(client, manager):
    response = client.get("/login/code")
    assert response.headers["Location"] == "/login"


def test_a_right_password_waits_ten_minutes_for_its_code(client, manager, clock, now):
    password_step(client, manager)
    token = csrf_token(client, "/login/code")
    clock(now + timedelta(minutes=11))
    late = {"code": totp(manager, now + timedelta(minutes=11)), "csrf_token": token}
    assert client.post("/login/code", data=late).headers["Location"] == "/login"
    assert not is_logged_in(client)


def test_wrong_codes_are_throttled(database_url, manager, now):
    limited = create_app(
        config_for(database_url, RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ACCOUNT="3 per minute")
    )
    limited.test_client_class = Client
    client = limited.test_client()
    password_step(client, manager)
    statuses = [code_step(client, "999999").status_code for _ in range(3)]
    statuses.append(code_step(client, totp(manager, now)).status_code)
    assert statuses[-1] == 429 and "Retry-After" in code_step(client, "123456").headers


def enrolled_codes(user) -> list[str]:
    user.totp_confirmed_at = None
    user.totp_last_step = None
    return two_factor.new_recovery_codes(user)


def test_a_recovery_code_logs_in_once(app, client, manager, now):
    codes = enrolled_codes(manager)
    manager.totp_confirmed_at = now
    db.session.commit()
    assert len(codes) == 10 and len(set(codes)) == 10
    password_step(client, manager)
    assert code_step(client, codes[3].upper()).status_code == 302
    assert is_logged_in(client)
    again = app.test_client()
    password_step(again, manager)
    assert code_step(again, codes[3]).status_code == 422
    assert code_step(again, codes[4]).status_code == 302
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert not any(code.replace("-", "") in h for code in codes for h in stored)
    # About 50 bits each: hashed like passwords, salted, so that a stolen table is no list.
    assert all(h.startswith("$argon2id$") for h in stored) and len(set(stored)) == 10


def test_a_recovery_code_made_before_argon2_still_works_once(app, client, manager, now):
    import hashlib

    manager.totp_confirmed_at = now
    db.session.add(
        RecoveryCode(user_id=manager.id, code_hash=hashlib.sha256(b"abcdefghjk").hexdigest())
    )
    db.session.commit()
    password_step(client, manager)
    assert code_step(client, "abcde-fghjk").status_code == 302
    again = app.test_client()
    password_step(again, manager)
    assert code_step(again, "abcde-fghjk").status_code == 422


# --- enrolment --------------------------------------------------------------------------------


def test_staff_without_a_second_factor_can_do_nothing_until_they_set_one_up(
    client, make_user, facility, now
):
    manager = make_user(Role.MANAGER, facilities=[facility], two_factor=False)
    assert log_in(client, manager.email).status_code == 302
    for path in ("/", "/manage/", "/reservations/", "/account", "/calendar"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/two-factor"
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "2段階認証の設定が必要です" in page
    token = csrf_token(client, "/account/two-factor")
    client.post("/account/two-factor/start", data={"csrf_token": token})
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    db.session.refresh(manager)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1)
    assert secret.replace(" ", "") == manager.totp_secret
    wrong = client.post("/account/two-factor/confirm", data={"code": "12345", "csrf_token": token})
    assert wrong.status_code == 422
    code = pyotp.TOTP(secret.replace(" ", "")).at(now)
    shown = client.post("/account/two-factor/confirm", data={"code": code, "csrf_token": token})
    assert shown.status_code == 200
    assert shown.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", shown.get_data(as_text=True))
    assert len(codes) == 10
    assert client.get("/manage/").status_code == 200
    assert db.session.scalars(select(AuditEvent.action)).all()[-1] == "user.two_factor_enable"


def test_officers_may_go_without_a_second_factor(officer_client):
    assert officer_client.get("/reservations/").status_code == 200
    assert officer_client.get("/account/two-factor").status_code == 200


def test_confirming_without_starting_changes_nothing(officer_client, officer):
    token = csrf_token(officer_client, "/account/two-factor")
    response = officer_client.post(
        "/account/two-factor/confirm", data={"code": "123456", "csrf_token": token}
    )
    assert response.status_code == 400
    db.session.refresh(officer)
    assert not officer.has_two_factor


# --- reset ------------------------------------------------------------------------------------


def test_an_admin_resets_a_second_factor(app, client, manager, make_user):
    log_in(client, manager.email)
    admin = make_user(Role.ADMIN)
    two_factor.reset(manager, by=admin)
    db.session.commit()
    assert not manager.has_two_factor and manager.totp_secret is None
    assert not is_logged_in(client)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.two_factor_reset")
    ).one()
    assert (event.actor_id, event.object_id) == (admin.id, str(manager.id))


def test_only_admins_reset_a_second_factor(manager, make_user, facility):
    other = make_user(Role.MANAGER, facilities=[facility])
    with pytest.raises(NotAllowed):
        two_factor.reset(manager, by=other)


def test_reset_2fa_command(app, manager):
    result = app.test_cli_runner().invoke(args=["users", "reset-2fa", manager.email])
    assert result.exit_code == 0, result.output
    db.session.refresh(manager)
    assert not manager.has_two_factor
