"""The outbox: written with the change, sent once, retried while the mail server is away."""

import email
import email.policy
import ssl
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from booking.audit import AuditEvent
from booking.auth.models import Role
from booking.extensions import db
from booking.notify import sender, worker
from booking.notify.models import MessageStatus, OutboxMessage
from booking.notify.outbox import compose, enqueue
from booking.notify.sender import send_pass
from tests.conftest import MailServer, csrf_token, log_in, row_count

START = datetime(2025, 4, 7, 0, 0, tzinfo=UTC)


def queued(n: int = 1, to: str = "hogoshi@example.jp") -> None:
    """``n`` messages written and committed, as a change that causes them would."""
    for i in range(n):
        enqueue("test", compose(to, f"お知らせ {i}", f"本文 {i}\n面談室の予約について。"))
    db.session.commit()


def statuses() -> list[tuple[MessageStatus, int]]:
    rows = db.session.execute(select(OutboxMessage.status, OutboxMessage.attempts)).all()
    return [tuple(row) for row in rows]


def test_a_committed_message_is_sent_once(smtp_server, now):
    queued()
    assert send_pass() == sender.Pass(sent=1)
    assert send_pass() == sender.Pass()
    assert len(smtp_server) == 1
    message = smtp_server[0]
    assert message["To"] == "hogoshi@example.jp"
    assert str(message["Subject"]) == "お知らせ 0"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"] and message["Date"]
    assert message.get_content_charset() == "utf-8"
    assert "本文 0" in message.get_content()
    assert statuses() == [(MessageStatus.SENT, 0)]


def test_headers_are_encoded_and_lines_short(app, now):
    queued()
    raw = db.session.scalar(select(OutboxMessage.message))
    assert raw.isascii()  # the subject in RFC 2047 words, the body in a transfer encoding
    assert "=?utf-8?" in raw.lower()
    assert max(len(line) for line in raw.splitlines()) <= 78
    parsed = email.message_from_string(raw, policy=email.policy.default)
    assert str(parsed["Subject"]) == "お知らせ 0"


def test_a_rolled_back_change_sends_nothing(smtp_server, now):
    enqueue("test", compose("hogoshi@example.jp", "件名", "本文"))
    db.session.rollback()
    assert send_pass() == sender.Pass()
    assert row_count(OutboxMessage) == 0 and smtp_server == []


def test_server_down_then_up_delivers_once(app, clock):
    server = MailServer()  # not started: nothing listens on its port yet
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_RETRY_SECONDS=60)
    clock(START)
    queued(3)
    assert send_pass() == sender.Pass(retried=3)
    clock(START + timedelta(seconds=30))
    assert send_pass() == sender.Pass()  # not due again before a minute has passed
    clock(START + timedelta(seconds=61))
    assert send_pass() == sender.Pass(retried=3)  # still down: next try two minutes on
    server.start()
    try:
        clock(START + timedelta(seconds=61 + 119))
        assert send_pass() == sender.Pass()
        clock(START + timedelta(seconds=61 + 120))
        assert send_pass() == sender.Pass(sent=3)
        assert send_pass() == sender.Pass()
    finally:
        server.stop()
    assert sorted(str(m["Subject"]) for m in server) == ["お知らせ 0", "お知らせ 1", "お知らせ 2"]
    assert statuses() == [(MessageStatus.SENT, 2)] * 3


@pytest.mark.parametrize("attempts", [1, 2, 3, 8])
def test_delays_grow_to_at_most_an_hour(app, attempts):
    app.config["MAIL_RETRY_SECONDS"] = 60
    expected = {1: 1, 2: 2, 3: 4, 8: 60}[attempts]
    assert sender.retry_delay(attempts) == timedelta(minutes=expected)


def test_temporary_refusals_end_as_failed_after_the_last_attempt(app, smtp_server, clock):
    app.config.update(MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_SECONDS=60)
    smtp_server.answer = "451 4.3.0 Try again later"
    clock(START)
    queued()
    outcomes = []
    for minutes in (0, 1, 3, 10, 60):
        clock(START + timedelta(minutes=minutes))
        outcomes.append(send_pass())
    assert outcomes == [
        sender.Pass(retried=1),
        sender.Pass(retried=1),
        sender.Pass(failed=1),
        sender.Pass(),
        sender.Pass(),
    ]
    message = db.session.scalar(select(OutboxMessage))
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 3)
    assert message.last_error == "SMTP 451 (SMTPDataError)"
    assert smtp_server == []


def test_a_permanent_refusal_fails_at_once(smtp_server, now):
    smtp_server.answer = "550 5.1.1 No such user"
    queued()
    assert send_pass() == sender.Pass(failed=1)
    assert statuses() == [(MessageStatus.FAILED, 1)]


def test_without_a_mail_server_development_prints_each_message(app, now, capsys):
    app.config["MAIL_SERVER"] = None
    queued()
    assert send_pass() == sender.Pass(sent=1)
    printed = capsys.readouterr().out
    assert "hogoshi@example.jp" in printed and "お知らせ 0" in printed and "本文 0" in printed


def test_without_a_mail_server_production_keeps_every_message(app, now):
    app.config.update(MAIL_SERVER=None, PRODUCTION=True)
    queued()
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code != 0 and "MAIL_SERVER" in result.output
    assert statuses() == [(MessageStatus.PENDING, 0)]


def test_send_command(app, smtp_server, now):
    queued(2)
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "2 sent" in result.output
    assert len(smtp_server) == 2


def test_two_senders_at_once_send_each_message_exactly_once(app, smtp_server, monkeypatch):
    monkeypatch.setattr(sender, "BATCH", 7)  # many claims, so that the two senders interleave
    queued(500)
    start = threading.Barrier(2)
    outcomes, errors = [], []

    def run():
        with app.app_context():
            try:
                start.wait()
                outcomes.append(send_pass())
            except Exception as error:  # reported below, not lost in the thread
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(outcome.sent for outcome in outcomes) == 500
    subjects = [str(m["Subject"]) for m in smtp_server]
    assert len(subjects) == 500 and len(set(subjects)) == 500
    assert statuses() == [(MessageStatus.SENT, 0)] * 500


def test_a_sender_that_died_leaves_its_claim_to_run_out(app, smtp_server, clock):
    clock(START)
    queued()
    assert len(sender.claim(START)) == 1  # and then the sender died
    assert send_pass() == sender.Pass()
    clock(START + sender.LEASE + timedelta(seconds=1))
    assert send_pass() == sender.Pass(sent=1)
    assert len(smtp_server) == 1


def test_worker_sends_what_is_committed_while_it_runs(app, smtp_server, now):
    done = threading.Event()

    def run():
        with app.app_context():
            worker.run(poll_seconds=0.2, stop=lambda: len(smtp_server) >= 2)
            db.session.remove()
            done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    queued(2)
    assert done.wait(timeout=60)
    assert sorted(str(m["Subject"]) for m in smtp_server) == ["お知らせ 0", "お知らせ 1"]


# The admin's page of messages that did not go out.


@pytest.fixture
def failed_message(app, smtp_server, now):
    smtp_server.answer = "550 5.1.1 No such user"
    queued(to="nobody@example.jp")
    send_pass()
    smtp_server.answer = None
    return db.session.scalar(select(OutboxMessage))


def test_admin_sees_failed_messages_and_sends_one_again(
    app, client, make_user, failed_message, smtp_server
):
    admin = make_user(Role.ADMIN, email="admin@city.example")
    log_in(client, admin.email)
    page = client.get("/admin/messages").get_data(as_text=True)
    assert "送信できなかったメール（1件）" in page
    assert "nobody@example.jp" in page and "SMTP 550" in page
    token = csrf_token(client, "/admin/messages")
    response = client.post(f"/admin/messages/{failed_message.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    assert statuses() == [(MessageStatus.PENDING, 0)]
    assert send_pass() == sender.Pass(sent=1)
    events = db.session.scalars(select(AuditEvent.action)).all()
    assert "outbox.retry" in events
    home = client.get("/admin/").get_data(as_text=True)
    assert "送信できなかったメール" not in home


def test_only_a_failed_message_can_be_sent_again(app, client, make_user, now):
    admin = make_user(Role.ADMIN, email="admin@city.example")
    queued()
    log_in(client, admin.email)
    message_id = db.session.scalar(select(OutboxMessage.id))
    token = csrf_token(client, "/admin/messages")
    response = client.post(f"/admin/messages/{message_id}/retry", data={"csrf_token": token})
    assert response.status_code == 400
    assert "送信に失敗したものではありません" in response.get_data(as_text=True)
    assert statuses() == [(MessageStatus.PENDING, 0)]


ADMIN_PAGES = [
    ("get", "/admin/"),
    ("get", "/admin/messages"),
    ("post", "/admin/messages/{id}/retry"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_PAGES)
@pytest.mark.parametrize("role", ["anonymous", "officer", "manager", "deactivated admin"])
def test_only_admins_reach_the_admin_area(
    app, client, make_user, facility, failed_message, method, path, role
):
    token = csrf_token(client)
    if role != "anonymous":
        kind = {"officer": Role.OFFICER, "manager": Role.MANAGER}.get(role, Role.ADMIN)
        served = [facility] if kind is Role.MANAGER else []
        user = make_user(kind, email="someone@example.jp", facilities=served)
        log_in(client, user.email)
        token = csrf_token(client, "/reservations/")
        if role == "deactivated admin":
            user.active = False
            db.session.commit()
    data = {"csrf_token": token} if method == "post" else None
    response = getattr(client, method)(path.format(id=failed_message.id), data=data)
    if role in ("anonymous", "deactivated admin"):
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == 403
    assert statuses() == [(MessageStatus.FAILED, 1)]


def test_on_postgresql_a_commit_wakes_the_waiting_worker(app, backend, now):
    if backend != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite's worker polls")
    wait = worker.waiter(poll_seconds=60)  # listening from here on
    queued()
    started = time.monotonic()
    wait()
    assert time.monotonic() - started < 30  # woken by the commit, not by the minute's end


@pytest.mark.parametrize("setting", ["MAIL_USE_TLS", "MAIL_USE_SSL"])
def test_tls_to_the_mail_server_checks_its_certificate(app, now, monkeypatch, setting):
    contexts = []

    class Recorder:
        def __init__(self, *_args, context=None, **_kwargs):
            contexts.append(context)

        def starttls(self, context=None):
            contexts.append(context)

        def sendmail(self, *_args):
            pass

        def quit(self):
            pass

    monkeypatch.setattr(sender.smtplib, "SMTP", Recorder)
    monkeypatch.setattr(sender.smtplib, "SMTP_SSL", Recorder)
    app.config.update(MAIL_SERVER="mail.example.jp", **{setting: True})
    queued()
    assert send_pass() == sender.Pass(sent=1)
    used = [c for c in contexts if c is not None]
    assert used and all(c.verify_mode == ssl.CERT_REQUIRED and c.check_hostname for c in used)
