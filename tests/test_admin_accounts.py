"""The administrators' account pages: list, search, one account, create, edit, and the buttons."""

import re
from datetime import date, time

import pytest
from sqlalchemy import event, func, select

from booking.audit import AuditEvent
from booking.auth import services as auth
from booking.auth import sessions
from booking.auth.models import AccountToken, LoginSession, Role, TokenPurpose, User
from booking.extensions import db
from booking.notify.models import OutboxMessage
from booking.rooms.models import Facility, FacilityKind, FeeBasis, OpeningHours, Ward
from tests.conftest import audited_changes, csrf_token, log_in, row_count


@pytest.fixture
def other_facility(app):
    other = Facility(
        code="other",
        ward=Ward.KITA,
        name_ja="別の区民センター",
        name_en="Other",
        address="札幌市北区",
        kind=FacilityKind.SUPPORT_CENTER,
        fee_basis=FeeBasis.FULL_EXEMPTION,
        bookable_from=date(2020, 1, 1),
        opening_hours=[OpeningHours(weekday=d, opens=time(9), closes=time(21)) for d in range(7)],
    )
    db.session.add(other)
    db.session.commit()
    return other


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, email="admin@example.jp", name="市 管理者")


@pytest.fixture
def admin_client(app, admin):
    client = app.test_client()
    assert log_in(client, admin.email).status_code == 302
    return client


def post(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/admin/"), **data})


def letterless(name="紙 太郎", **fields) -> User:
    """An officer without e-mail, as the create page makes one."""
    user = User(name=name, login_id=fields.pop("login_id", "H123456"), role=Role.OFFICER, **fields)
    db.session.add(user)
    db.session.commit()
    return user


# -- Only admins ---------------------------------------------------------------------------

ROUTES = [
    ("get", "/admin/accounts"),
    ("get", "/admin/accounts.csv"),
    ("get", "/admin/accounts/new"),
    ("post", "/admin/accounts/new"),
    ("get", "/admin/accounts/{id}"),
    ("get", "/admin/accounts/{id}/edit"),
    ("post", "/admin/accounts/{id}/edit"),
    ("post", "/admin/accounts/{id}/letter"),
    ("post", "/admin/accounts/{id}/deactivate"),
    ("post", "/admin/accounts/{id}/reactivate"),
    ("post", "/admin/accounts/{id}/end-sessions"),
    ("post", "/admin/accounts/{id}/reset-two-factor"),
    ("post", "/admin/accounts/{id}/invite"),
]
ROLES = ["anonymous", "officer", "other officer", "manager", "other manager", "deactivated admin"]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("role", ROLES)
def test_only_admins_reach_the_account_pages(
    app, client, make_user, officer, facility, other_facility, method, path, role
):
    target = make_user(Role.MANAGER, email="target@example.jp", facilities=[facility])
    token = csrf_token(client)
    if role != "anonymous":
        user = {
            "officer": officer,
            "other officer": make_user(Role.OFFICER, email="other@example.jp"),
            "manager": target,
            "other manager": make_user(
                Role.MANAGER, email="kita@example.jp", facilities=[other_facility]
            ),
            "deactivated admin": make_user(Role.ADMIN, email="gone@example.jp"),
        }[role]
        assert log_in(client, user.email).status_code == 302
        token = csrf_token(client, "/reservations/")
        if role == "deactivated admin":
            user.active = False
            db.session.commit()
    before = (audited_changes(), row_count(AccountToken), row_count(User))
    form = {"csrf_token": token, "name": "乗っ取り", "role": "admin", "email": "x@example.jp"}
    response = getattr(client, method)(
        path.format(id=target.id), data=form if method == "post" else None
    )
    if role in ("anonymous", "deactivated admin"):
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == 403
    assert (audited_changes(), row_count(AccountToken), row_count(User)) == before
    db.session.refresh(target)
    assert target.active and target.role is Role.MANAGER and target.name != "乗っ取り"


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if "{id}" in r[1]])
def test_an_account_beyond_the_database_is_a_404(admin_client, method, path):
    url = path.format(id=99999999999)
    data = {"csrf_token": csrf_token(admin_client, "/admin/")} if method == "post" else None
    assert getattr(admin_client, method)(url, data=data).status_code == 404
    url = path.format(id=2147483647)
    assert getattr(admin_client, method)(url, data=data).status_code == 404


# -- The list ------------------------------------------------------------------------------


@pytest.fixture
def people(app, make_user, facility, other_facility):
    made = {
        "ichiro": make_user(
            email="ichiro@example.jp",
            name="保護司 一郎",
            name_kana="ホゴシ イチロウ",
            phone="090-1234-5678",
        ),
        "hanako": make_user(
            email="hanako@example.jp", name="札幌 花子", name_kana="サッポロ ハナコ"
        ),
        "desk": make_user(Role.MANAGER, email="desk@example.jp", facilities=[facility]),
        "kita": make_user(Role.MANAGER, email="kita@example.jp", facilities=[other_facility]),
        "paper": letterless(name="紙 太郎", name_kana="カミ タロウ", phone="011-211-2345"),
    }
    made["hanako"].active = False
    db.session.commit()
    return made


def names(response) -> set[str]:
    html = response.get_data(as_text=True)
    return set(re.findall(r'href="/admin/accounts/\d+">([^<]+)</a>', html))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=保護司一郎", {"保護司 一郎"}),  # spaces ignored
        ("q=ほごし", {"保護司 一郎"}),  # hiragana finds the katakana reading
        ("q=ﾎｺﾞｼ", {"保護司 一郎"}),  # half-width katakana too
        ("q=ICHIRO%40example", {"保護司 一郎"}),
        ("q=０９０１２３４", {"保護司 一郎"}),  # full-width digits, phone without dashes
        ("q=090-1234-5678", {"保護司 一郎"}),
        ("q=h123456", {"紙 太郎"}),  # a login id
        ("q=011(211)2345", {"紙 太郎"}),
        ("q=%25", set()),  # a LIKE wildcard is a character
        (
            "q=a%00b&page=a%00b",
            {"保護司 一郎", "札幌 花子", "紙 太郎", "テスト 利用者", "市 管理者"},
        ),
        ("role=manager", {"テスト 利用者"}),
        ("status=inactive", {"札幌 花子"}),
        ("status=invited", {"紙 太郎"}),
        ("role=nonsense", {"保護司 一郎", "札幌 花子", "紙 太郎", "テスト 利用者", "市 管理者"}),
    ],
)
def test_search_and_filters(admin_client, people, query, expected):
    response = admin_client.get(f"/admin/accounts?{query}")
    assert response.status_code == 200
    assert names(response) == expected


def test_the_facility_filter_finds_its_managers(admin_client, people, facility):
    response = admin_client.get(f"/admin/accounts?facility={facility.id}")
    page = response.get_data(as_text=True)
    assert names(response) == {"テスト 利用者"} and "desk@example.jp" in page
    assert "kita@example.jp" not in page


def add_accounts(n: int, facility) -> None:
    first = row_count(User)
    for i in range(first, first + n):
        user = User(email=f"bulk{i}@example.jp", name=f"一括 {i:03d}", role=Role.MANAGER)
        user.facilities = [facility]
        db.session.add(user)
    db.session.commit()


def statements_for(app, client, path) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_a_page_costs_the_same_statements_however_many_accounts(app, admin_client, facility):
    add_accounts(3, facility)
    few = statements_for(app, admin_client, "/admin/accounts?q=一括")
    add_accounts(120, facility)
    many = statements_for(app, admin_client, "/admin/accounts?q=一括")
    assert few == many
    second = statements_for(app, admin_client, "/admin/accounts?q=一括&page=2")
    assert second == many


def test_fifty_to_a_page(admin_client, facility):
    add_accounts(120, facility)
    first = admin_client.get("/admin/accounts?role=manager").get_data(as_text=True)
    assert len(re.findall(r'href="/admin/accounts/\d+">', first)) == 50
    assert "1 / 3 ページ" in first and "page=2" in first
    last = admin_client.get("/admin/accounts?role=manager&page=3").get_data(as_text=True)
    assert len(re.findall(r'href="/admin/accounts/\d+">', last)) == 20
    beyond = admin_client.get("/admin/accounts?page=99999999999999")
    assert beyond.status_code == 200


def test_the_csv_is_the_list_as_filtered(admin_client, people, make_user):
    make_user(email="formula@example.jp", name="=HYPERLINK(1)")
    response = admin_client.get("/admin/accounts.csv?role=officer")
    body = response.get_data()
    assert body.startswith("\ufeff".encode()) and b"\r\n" in body
    text = body.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == "氏名,ふりがな,メールアドレス,ログインID,電話番号,役割,担当施設,区,状態"
    assert "紙 太郎,カミ タロウ,,H123456,011-211-2345,保護司,,,招待中（パスワード未設定）" in lines
    assert "札幌 花子,サッポロ ハナコ,hanako@example.jp,,,保護司,,,停止中" in lines
    assert "'=HYPERLINK(1)" in text and "desk@example.jp" not in text
    assert response.headers["Cache-Control"] == "no-store"


def test_the_page_of_an_account(admin_client, people, facility):
    desk = people["desk"]
    sessions.start(desk, user_agent="Mozilla/5.0 (iPhone)", client_address="192.0.2.1")
    db.session.commit()
    page = admin_client.get(f"/admin/accounts/{desk.id}").get_data(as_text=True)
    assert "desk@example.jp" in page and facility.name_ja in page
    assert "利用中" in page and "設定済み" in page and "1台" in page
    assert "まだありません" not in page  # a last login
    paper = admin_client.get(f"/admin/accounts/{people['paper'].id}").get_data(as_text=True)
    assert "H123456" in paper and "招待中" in paper and "まだありません" in paper


# -- Creating ------------------------------------------------------------------------------


def create(client, **fields):
    data = {"name": "新人 保護司", "role": "officer", **fields}
    return post(client, "/admin/accounts/new", **data)


def test_an_account_with_e_mail_is_invited(admin_client, admin):
    response = create(
        admin_client,
        email="ＮＥＷ@example.jp",
        name_kana="しんじん ほごし",
        phone="０９０１２３４５６７８",
        home_ward="kita",
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new@example.jp"))
    assert user.password_hash is None and user.login_id is None
    assert user.name_kana == "シンジン ホゴシ" and user.phone == "090-1234-5678"
    assert user.home_ward == "kita" and user.role is Role.OFFICER
    assert db.session.scalar(select(OutboxMessage.recipient)) == "new@example.jp"
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.actor_id == admin.id).order_by(AuditEvent.id)
    ).all()
    assert [a for a in actions if a != "user.login"] == ["user.create", "user.invite"]
    created = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.create"))
    assert "090" not in str(created.details) and "phone" in created.details["fields"]


def test_an_account_without_e_mail_gets_a_login_id_and_a_letter(admin_client):
    response = create(admin_client, form_key="k1")
    assert response.status_code == 200, re.findall("エラー：[^<]*", response.get_data(as_text=True))
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.name == "新人 保護司"))
    assert re.fullmatch(r"H[0-9]{6}", user.login_id) and user.email is None
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", page).group(0)
    assert user.login_id in page and "http://127.0.0.1:5000/login/letter" in page
    assert "@page" not in page  # the print rules are in the stylesheet
    assert "letter.css" in page
    stored = db.session.scalars(select(AccountToken.token_hash)).all()
    assert code not in str(stored) and len(stored) == 1
    assert code not in str(db.session.scalars(select(AuditEvent.details)).all())
    assert row_count(OutboxMessage) == 0
    # The same form sent again (a reload) prints a new code for the same person.
    again = create(admin_client, form_key="k1")
    assert again.status_code == 200
    assert db.session.scalar(select(func.count()).where(User.name == "新人 保護司")) == 1
    assert code not in again.get_data(as_text=True)
    assert row_count(AccountToken) == 2


@pytest.mark.parametrize(
    ("fields", "message", "status"),
    [
        ({"name": ""}, "氏名を入力してください。", 422),
        ({"role": "manager"}, "施設職員と管理者にはメールアドレスが必要です。", 400),
        ({"email": "taken@example.jp"}, "ほかのアカウントで使われています", 409),
        ({"email": "TAKEN@example.jp"}, "ほかのアカウントで使われています", 409),
        ({"email": "not an address"}, "hogoshi@example.jp のように", 422),
        ({"phone": "12"}, "011-211-2345 のように", 422),
        ({"name_kana": "Hogoshi"}, "ひらがなかカタカナ", 422),
        ({"role": "root"}, "一覧から選んでください。", 422),
        ({"home_ward": "tokyo"}, "一覧から選んでください。", 422),
        ({"facilities": "99999"}, "一覧から選んでください。", 422),
        ({"name": "a\x00b"}, "使えない文字", 422),
    ],
)
def test_bad_details_are_refused_in_japanese(admin_client, make_user, fields, message, status):
    make_user(email="taken@example.jp")
    before = (row_count(User), audited_changes())
    response = create(admin_client, **fields)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert (row_count(User), audited_changes()) == before


def test_only_managers_serve_facilities(admin_client, facility):
    response = create(admin_client, email="o@example.jp", facilities=str(facility.id))
    assert response.status_code == 400 and "施設職員だけ" in response.get_data(as_text=True)
    response = create(
        admin_client, email="m@example.jp", role="manager", facilities=str(facility.id)
    )
    assert response.status_code == 302
    manager = auth.find_user("m@example.jp")
    assert manager.facilities == [facility]


# -- Editing and the buttons ---------------------------------------------------------------


def test_editing_changes_and_audits_field_names(admin_client, admin, people, facility):
    paper = people["paper"]
    response = post(
        admin_client,
        f"/admin/accounts/{paper.id}/edit",
        name="紙 太郎",
        name_kana="かみ たろう",
        phone="011 211 2345",
        email="",
        role="manager",
        facilities=str(facility.id),
    )
    # A manager needs an e-mail address: nothing changes.
    assert response.status_code == 400
    db.session.refresh(paper)
    assert paper.role is Role.OFFICER
    response = post(
        admin_client,
        f"/admin/accounts/{paper.id}/edit",
        name="紙 次郎",
        name_kana="かみ じろう",
        phone="011 211 2345",
        email="jiro@example.jp",
        role="manager",
        facilities=str(facility.id),
        home_ward="teine",
    )
    assert response.status_code == 302
    db.session.refresh(paper)
    assert (paper.name, paper.name_kana, paper.email) == (
        "紙 次郎",
        "カミ ジロウ",
        "jiro@example.jp",
    )
    assert paper.facilities == [facility] and paper.home_ward == "teine"
    assert paper.login_id == "H123456"  # still works for logging in
    changed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.update"))
    assert changed.actor_id == admin.id
    assert set(changed.details["fields"]) == {
        "name",
        "name_kana",
        "email",
        "role",
        "home_ward",
        "facilities",
    }
    assert "紙" not in str(changed.details)
    page = admin_client.get(f"/admin/accounts/{paper.id}").get_data(as_text=True)
    assert "登録内容の変更（name、name_kana" in page


def test_an_address_in_use_is_refused_when_editing(admin_client, people):
    ichiro = people["ichiro"]
    response = post(
        admin_client,
        f"/admin/accounts/{ichiro.id}/edit",
        name=ichiro.name,
        email="hanako@example.jp",
        role="officer",
    )
    assert response.status_code == 409
    assert "このメールアドレスは、ほかのアカウントで使われています。" in response.get_data(
        as_text=True
    )
    db.session.refresh(ichiro)
    assert ichiro.email == "ichiro@example.jp"


def test_an_admin_cannot_demote_or_deactivate_themselves(admin_client, admin):
    before = audited_changes()
    response = post(
        admin_client,
        f"/admin/accounts/{admin.id}/edit",
        name=admin.name,
        role="officer",
        email=admin.email,
    )
    assert response.status_code == 403 and "ご自身の役割は変更できません" in response.get_data(
        as_text=True
    )
    response = post(admin_client, f"/admin/accounts/{admin.id}/deactivate")
    assert response.status_code == 403
    assert "ご自身のアカウントは停止できません" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.active and admin.role is Role.ADMIN and audited_changes() == before


def test_deactivating_ends_every_session_and_reactivating_lets_back_in(app, admin_client, officer):
    officer_client = app.test_client()
    assert log_in(officer_client, officer.email).status_code == 302
    response = post(admin_client, f"/admin/accounts/{officer.id}/deactivate")
    assert response.status_code == 302
    assert officer_client.get("/reservations/").status_code == 302  # to the login page
    assert (
        db.session.scalar(
            select(func.count()).where(
                LoginSession.user_id == officer.id, LoginSession.ended_at.is_(None)
            )
        )
        == 0
    )
    assert log_in(app.test_client(), officer.email).status_code == 422
    page = admin_client.get(f"/admin/accounts/{officer.id}").get_data(as_text=True)
    assert "アカウントを停止しました" in page and "停止中" in page
    # No new letter or link for a stopped account.
    assert post(admin_client, f"/admin/accounts/{officer.id}/letter").status_code == 400
    assert post(admin_client, f"/admin/accounts/{officer.id}/reactivate").status_code == 302
    assert log_in(app.test_client(), officer.email).status_code == 302
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == str(officer.id))
    ).all()
    assert "user.deactivate" in actions and "user.reactivate" in actions


def test_ending_sessions_and_resetting_the_second_factor(app, admin_client, make_user):
    desk = make_user(Role.MANAGER, email="desk@example.jp")
    desk_client = app.test_client()
    assert log_in(desk_client, desk.email).status_code == 302
    assert post(admin_client, f"/admin/accounts/{desk.id}/end-sessions").status_code == 302
    assert desk_client.get("/reservations/").status_code == 302
    assert post(admin_client, f"/admin/accounts/{desk.id}/reset-two-factor").status_code == 302
    db.session.refresh(desk)
    assert not desk.has_two_factor
    page = admin_client.get(f"/admin/accounts/{desk.id}").get_data(as_text=True)
    assert "2段階認証を解除しました" in page and "次のログインで設定します" in page


def test_a_new_invitation_link_replaces_the_old_one(admin_client, officer):
    assert post(admin_client, f"/admin/accounts/{officer.id}/invite").status_code == 302
    assert post(admin_client, f"/admin/accounts/{officer.id}/invite").status_code == 302
    tokens = db.session.scalars(select(AccountToken).where(AccountToken.user_id == officer.id))
    assert [t.used_at is None for t in tokens] == [False, True]
    assert row_count(OutboxMessage) == 2


def test_no_invitation_link_without_an_address(admin_client, people):
    response = post(admin_client, f"/admin/accounts/{people['paper'].id}/invite")
    assert response.status_code == 400
    assert "案内状を印刷して" in response.get_data(as_text=True)
    assert row_count(OutboxMessage) == 0


def test_an_account_with_e_mail_may_get_a_letter_too(admin_client, officer):
    response = post(admin_client, f"/admin/accounts/{officer.id}/letter")
    assert response.status_code == 200
    db.session.refresh(officer)
    assert officer.login_id and officer.login_id in response.get_data(as_text=True)
    assert (
        db.session.scalar(select(AccountToken.purpose).where(AccountToken.user_id == officer.id))
        is TokenPurpose.LETTER
    )


def test_a_create_page_reused_for_another_person_makes_their_account(admin_client):
    create(admin_client, form_key="k2")
    response = create(admin_client, form_key="k2", name="別の 保護司")
    assert response.status_code == 200
    assert {u.name for u in db.session.scalars(select(User).where(User.login_id.is_not(None)))} == {
        "新人 保護司",
        "別の 保護司",
    }
