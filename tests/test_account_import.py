"""The officers' CSV import: preview every row, confirm all or nothing, re-import is a no-op."""

import email
import email.policy
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from booking.account import invitations
from booking.admin import import_rows, imports
from booking.audit import AuditEvent
from booking.auth import services as accounts
from booking.auth.models import AccountToken, Role, TokenPurpose, User
from booking.errors import Gone
from booking.extensions import db
from booking.notify.models import OutboxMessage
from booking.notify.outbox import compose, enqueue, enqueue_letters
from tests.conftest import csrf_token, log_in, row_count, utc

HEADER = "氏名,ふりがな,メールアドレス,電話番号,居住区"
ROWS = [
    "保護司 一郎,ほごし いちろう,ichiro@example.jp,090-1234-5678,中央区",
    "札幌　花子,ｻｯﾎﾟﾛ ﾊﾅｺ,ＨＡＮＡＫＯ@Example.JP,０９０１２３４５６７８,北",
    "豊平 次郎,,jiro@docomo.ne.jp,011(211)2000,",
    "手稲 三郎,ていね さぶろう,saburo@example.jp,+81 90 2222 3333,teine",
]


def csv_bytes(*rows, header=HEADER, encoding="utf-8", newline="\n") -> bytes:
    return newline.join([header, *rows, ""]).encode(encoding)


@pytest.fixture
def admin_client(client, make_user, clock):
    clock(utc(2026, 12, 1, 0, 0))
    admin = make_user(Role.ADMIN, email="admin@example.jp", name="市 管理者")
    assert log_in(client, admin.email).status_code == 302
    client.admin = admin
    return client


def upload(client, data: bytes, name="officers.csv"):
    token = csrf_token(client, "/admin/accounts/import")
    return client.post(
        "/admin/accounts/import",
        data={"csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def preview(client, data: bytes):
    response = upload(client, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.location, client.get(response.location)


def digest_of(page) -> str:
    return re.search(r'name="digest" type="hidden" value="([0-9a-f]{64})"', page).group(1)


def confirm(client, location, digest):
    token = csrf_token(client, "/admin/accounts/import")
    return client.post(f"{location}/confirm", data={"csrf_token": token, "digest": digest})


def import_file(client, data: bytes):
    location, page = preview(client, data)
    html = page.get_data(as_text=True)
    return confirm(client, location, digest_of(html))


def officers() -> dict[str, User]:
    return {u.email: u for u in db.session.scalars(select(User).where(User.role == Role.OFFICER))}


@pytest.mark.parametrize(
    ("encoding", "newline", "bom"),
    [("cp932", "\r\n", False), ("utf-8", "\n", True), ("utf-8", "\r\n", False)],
)
def test_excel_files_preview_and_import(admin_client, encoding, newline, bom):
    data = csv_bytes(*ROWS, encoding=encoding, newline=newline)
    data = (b"\xef\xbb\xbf" + data) if bom else data
    location, page = preview(admin_client, data)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "新しく登録：4人" in html and "取り込めない：0行" in html
    assert "<td>2</td>" in html and "<td>5</td>" in html
    response = confirm(admin_client, location, digest_of(html))
    assert response.status_code == 302
    made = officers()
    assert set(made) == {
        "ichiro@example.jp",
        "hanako@example.jp",
        "jiro@docomo.ne.jp",
        "saburo@example.jp",
    }
    hanako = made["hanako@example.jp"]
    assert (hanako.name, hanako.name_kana, hanako.phone, hanako.home_ward) == (
        "札幌 花子",
        "サッポロ ハナコ",
        "090-1234-5678",
        "kita",
    )
    assert made["jiro@docomo.ne.jp"].phone == "011-211-2000"
    assert made["saburo@example.jp"].phone == "090-2222-3333"
    assert all(u.password_hash is None and u.active for u in made.values())
    invites = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert sorted(invites) == sorted(made)
    tokens = db.session.scalars(select(AccountToken.purpose)).all()
    assert tokens == [TokenPurpose.INVITATION] * 4
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("user.import_create") == 4 and actions.count("user.import") == 1
    counts = db.session.scalar(select(AuditEvent.details).where(AuditEvent.action == "user.import"))
    assert counts == {"new": 4, "updated": 0, "unchanged": 0, "refused": 0}
    assert "新しく登録4人" in admin_client.get("/admin/accounts/import").get_data(as_text=True)


def test_the_invitation_of_an_import_works(admin_client, app):
    import_file(admin_client, csv_bytes(ROWS[0]))
    body = db.session.scalar(select(OutboxMessage.message))
    text = email.message_from_string(body, policy=email.policy.default).get_body().get_content()
    path = re.search(r"https?://[^/\s]+(/login/invitation/\S+)", text).group(1)
    assert "保護司 一郎" in text
    user = invitations.invited(path.rsplit("/", 1)[1])
    assert user.email == "ichiro@example.jp"


def test_importing_the_same_file_again_changes_nothing(admin_client):
    data = csv_bytes(*ROWS, encoding="cp932", newline="\r\n")
    import_file(admin_client, data)
    before = {e: (u.name, u.name_kana, u.phone, u.home_ward) for e, u in officers().items()}
    messages, tokens = row_count(OutboxMessage), row_count(AccountToken)
    location, page = preview(admin_client, data)
    html = page.get_data(as_text=True)
    assert "変更なし：4人" in html and "新しく登録：0人" in html
    assert confirm(admin_client, location, digest_of(html)).status_code == 302
    db.session.expire_all()
    after = {e: (u.name, u.name_kana, u.phone, u.home_ward) for e, u in officers().items()}
    assert after == before
    assert (row_count(OutboxMessage), row_count(AccountToken)) == (messages, tokens)
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("user.import_update") == 0


def test_a_changed_row_updates_only_what_it_gives(admin_client, make_user):
    make_user(
        email="ichiro@example.jp", name="保護司 一郎", home_ward="nishi", phone="011-000-0000"
    )
    data = csv_bytes(
        "保護司 一郎,ほごし いちろう,ICHIRO@example.jp,,", "新人 四郎,,shiro@example.jp,,"
    )
    location, page = preview(admin_client, data)
    html = page.get_data(as_text=True)
    assert "更新：1人" in html and "ふりがな" in html
    confirm(admin_client, location, digest_of(html))
    ichiro = officers()["ichiro@example.jp"]
    assert (ichiro.name_kana, ichiro.home_ward, ichiro.phone) == (
        "ほごし いちろう",
        "nishi",
        "011-000-0000",
    )
    assert accounts.is_password_of(ichiro, "correct horse battery")  # untouched
    details = db.session.scalar(
        select(AuditEvent.details).where(AuditEvent.action == "user.import_update")
    )
    assert details == {"changed": ["name_kana"]}
    assert db.session.scalar(select(OutboxMessage.recipient)) == "shiro@example.jp"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (",,nobody@example.jp,,", "氏名がありません"),
        ("名無し,,,,", "メールアドレスのない方は、一人ずつ登録して案内状を印刷してください。"),
        ("名前,,not-an-address,,", "メールアドレスの形式が正しくありません"),
        ("名前,,x@example.jp,12345,", "電話番号が正しくありません"),
        ("名前,,x@example.jp,,函館区", "居住区が分かりません"),
        ("名前,Namae,x@example.jp,,", "ひらがなかカタカナ"),
        ("名前,,staff@example.jp,,", "保護司ではないアカウント"),
        ("名前,,gone@example.jp,,", "停止中"),
        ("名" * 101 + ",,x@example.jp,,", "長すぎます"),
    ],
)
def test_a_refused_row_stops_the_whole_import(admin_client, make_user, row, reason):
    make_user(Role.MANAGER, email="staff@example.jp")
    gone = make_user(email="gone@example.jp")
    accounts.deactivate(db.session.get(User, gone.id))
    db.session.commit()
    users = row_count(User)
    location, page = preview(admin_client, csv_bytes(ROWS[0], row))
    html = page.get_data(as_text=True)
    assert reason in html and "<td>3</td>" in html and "取り込めない：1行" in html
    assert 'name="digest"' not in html  # no confirm button
    forced = confirm(admin_client, location, "0" * 64)
    assert forced.status_code in (409, 422)
    assert row_count(User) == users and row_count(OutboxMessage) == 0


def test_duplicate_addresses_in_the_file_are_refused(admin_client):
    data = csv_bytes(ROWS[0], "別人,,Ichiro@Example.jp,,")
    _location, page = preview(admin_client, data)
    assert "メールアドレスが2行目と同じです" in page.get_data(as_text=True)


def wide(columns: int) -> bytes:
    return csv_bytes(ROWS[0], header=HEADER + "," * (columns - 5))


@pytest.mark.parametrize(
    ("data", "message", "status"),
    [
        (b"", "ファイルが空です", 400),
        (b"\r\n\r\n", "ファイルが空です", 400),
        (csv_bytes("名前\x07,,x@example.jp,,"), "CSVファイルではない", 400),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "CSVファイルではない", 400),
        (bytes([0xFF, 0xFE, 0x81, 0x39, 0xEE]) * 3, "文字コード", 400),
        (wide(10_000), "列が多すぎます", 400),
        (csv_bytes(ROWS[0], header="名前,住所"), "「氏名」と「メールアドレス」", 400),
        (csv_bytes(ROWS[0], header="氏名,メール,email"), "同じ項目の列が二つ", 400),
        (
            b'\xe6\xb0\x8f\xe5\x90\x8d,email\n"unterminated,x@example.jp\n',
            "CSVとして読み取れません",
            400,
        ),
    ],
)
def test_unreadable_files_are_refused_plainly(admin_client, data, message, status):
    response = upload(admin_client, data)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert message in page and "エラー：" in page
    assert row_count(imports.AccountImport) == 0


def test_too_many_rows_are_refused(admin_client, monkeypatch):
    monkeypatch.setattr(import_rows, "MAX_ROWS", 3)
    response = upload(admin_client, csv_bytes(*ROWS))
    assert response.status_code == 400 and "一度に3人まで" in response.get_data(as_text=True)


def test_ten_thousand_rows_at_most(admin_client):
    rows = [f"人{n},,p{n}@example.jp,," for n in range(import_rows.MAX_ROWS + 1)]
    response = upload(admin_client, csv_bytes(*rows))
    assert response.status_code == 400 and "10,000人まで" in response.get_data(as_text=True)


def test_a_file_over_the_size_limit_is_refused(admin_client):
    data = csv_bytes(*ROWS) + b"," * (import_rows.MAX_BYTES + 10)
    response = upload(admin_client, data)
    assert response.status_code == 400 and "3MBまで" in response.get_data(as_text=True)
    huge = upload(admin_client, b"x" * (import_rows.MAX_BYTES + 2 * 1024 * 1024))
    assert huge.status_code == 413 and "大きすぎます" in huge.get_data(as_text=True)


def test_english_headers_and_variants(admin_client):
    data = csv_bytes(
        "Yamada Taro,やまだ たろう,taro@example.jp,09011112222,Chuo-ku",
        header="Name,Furigana,E-mail,Phone,Ward",
    )
    location, page = preview(admin_client, data)
    confirm(admin_client, location, digest_of(page.get_data(as_text=True)))
    assert officers()["taro@example.jp"].home_ward == "chuo"


def test_a_plan_changed_since_the_preview_is_shown_again(admin_client, make_user):
    location, page = preview(admin_client, csv_bytes(*ROWS))
    digest = digest_of(page.get_data(as_text=True))
    make_user(email="ichiro@example.jp", name="別の 名前")
    response = confirm(admin_client, location, digest)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "新しいプレビュー" in html
    assert "更新：1人" in html and row_count(OutboxMessage) == 0
    assert confirm(admin_client, location, digest_of(html)).status_code == 302
    assert len(officers()) == 4


def test_a_confirmed_import_cannot_be_confirmed_twice(admin_client):
    location, page = preview(admin_client, csv_bytes(ROWS[0]))
    digest = digest_of(page.get_data(as_text=True))
    assert confirm(admin_client, location, digest).status_code == 302
    assert confirm(admin_client, location, digest).status_code == 410
    assert admin_client.get(location).status_code == 410
    assert len(officers()) == 1


def test_a_failure_half_way_changes_nothing(admin_client, monkeypatch):
    location, page = preview(admin_client, csv_bytes(*ROWS))
    digest = digest_of(page.get_data(as_text=True))

    def broken(*_args, **_kwargs):
        raise RuntimeError("the mail template is missing")

    with monkeypatch.context() as patch:  # undo() would also unfreeze the clock
        patch.setattr(invitations, "invite_many", broken)
        assert confirm(admin_client, location, digest).status_code == 500
    assert officers() == {} and row_count(OutboxMessage) == 0
    assert row_count(imports.AccountImport) == 1  # still there to try again
    assert confirm(admin_client, location, digest).status_code == 302
    assert len(officers()) == 4


def test_another_admins_upload_is_not_found(admin_client, make_user, app):
    location, _page = preview(admin_client, csv_bytes(ROWS[0]))
    other = make_user(Role.ADMIN, email="admin2@example.jp")
    second = app.test_client()
    log_in(second, other.email)
    assert second.get(location).status_code == 410


def test_an_upload_is_kept_a_day(admin_client, clock):
    location, _page = preview(admin_client, csv_bytes(ROWS[0]))
    import_id = int(location.rsplit("/", 1)[1])
    clock(utc(2026, 12, 2, 0, 0) - timedelta(seconds=1))
    assert imports.find(import_id, by=admin_client.admin).id == import_id
    clock(utc(2026, 12, 2, 0, 0, 1))
    with pytest.raises(Gone):
        imports.find(import_id, by=admin_client.admin)


def test_the_template_downloads_and_imports(admin_client):
    response = admin_client.get("/admin/accounts/import/template.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = response.get_data()
    assert text.startswith(b"\xef\xbb\xbf") and "氏名".encode() in text
    _location, page = preview(admin_client, text)
    assert "新しく登録：1人" in page.get_data(as_text=True)


def test_a_file_name_with_control_characters_is_kept_without_them(admin_client):
    response = upload(admin_client, csv_bytes(ROWS[0]), name="名簿\x00\x1b.csv")
    assert response.status_code == 302
    assert db.session.scalar(select(imports.AccountImport.file_name)) == "名簿.csv"


def test_the_admin_page_links_to_it(admin_client):
    assert "/admin/accounts/import" in admin_client.get("/admin/").get_data(as_text=True)


def count_statements(function) -> int:
    statements = []

    def listener(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        function()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def test_preview_and_confirm_take_as_many_statements_for_many_rows_as_for_few(
    admin_client, make_user
):
    admin = admin_client.admin

    def statements(size: int, offset: int) -> tuple[int, int]:
        rows = [f"人 {n},,p{n}@example.jp,,中央区" for n in range(offset, offset + size)]
        existing = [f"人 {n},,p{n}@example.jp,," for n in range(offset - 1, offset)]
        upload = imports.store(csv_bytes(*existing, *rows), "x.csv", by=admin)
        db.session.commit()
        planning = count_statements(lambda: imports.plan(upload))
        digest = imports.plan(upload).digest
        applying = count_statements(lambda: imports.confirm(upload.id, digest, by=admin))
        db.session.commit()
        return planning, applying

    make_user(email="p0@example.jp")
    make_user(email="p1000@example.jp")
    few, many = statements(5, 1), statements(300, 1001)
    assert few == many
    assert db.session.scalar(select(func.count()).select_from(User)) == 308


ROLES = ["anonymous", "officer", "manager", "other-manager", "deactivated"]


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_reach_the_import(client, make_user, facility, role):
    if role != "anonymous":
        kind = Role.MANAGER if "manager" in role else Role.OFFICER
        serves = [facility] if role == "manager" else ()
        user = make_user(kind, email="me@example.jp", facilities=serves)
        assert log_in(client, user.email).status_code == 302
        if role == "deactivated":
            accounts.deactivate(db.session.get(User, user.id))
            db.session.commit()
    token = csrf_token(client, "/login/forgot")
    expected = 302 if role in ("anonymous", "deactivated") else 403
    for path in (
        "/admin/accounts/import",
        "/admin/accounts/import/template.csv",
        "/admin/accounts/import/1",
    ):
        assert client.get(path).status_code == expected
    posted = client.post(
        "/admin/accounts/import",
        data={"csrf_token": token, "file": (io.BytesIO(csv_bytes(ROWS[0])), "a.csv")},
        content_type="multipart/form-data",
    )
    confirmed = client.post(
        "/admin/accounts/import/1/confirm", data={"csrf_token": token, "digest": "0" * 64}
    )
    assert posted.status_code == confirmed.status_code == expected
    assert row_count(imports.AccountImport) == 0 and officers().keys() <= {"me@example.jp"}


def test_letters_written_together_read_as_composed_ones(app, clock):
    clock(utc(2026, 12, 1, 0, 0))
    body = (
        "保護司 一郎 様\n\nリンク：https://example.jp/login/invitation/abc\n" + "長い行" * 40 + "\n"
    )
    enqueue_letters("test.letter", "【札幌市】ご案内", [("ichiro@example.jp", body)])
    enqueue("test.single", compose("ichiro@example.jp", "【札幌市】ご案内", body))
    together, single = (
        email.message_from_string(m.message, policy=email.policy.default)
        for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    )
    for name in ("To", "From", "Subject", "Date", "Auto-Submitted", "Content-Type"):
        assert together[name] == single[name]
    assert together["Message-ID"] != single["Message-ID"]
    assert together.get_body().get_content() == single.get_body().get_content()
    assert (
        db.session.scalar(select(OutboxMessage.subject).where(OutboxMessage.kind == "test.letter"))
        == "【札幌市】ご案内"
    )
