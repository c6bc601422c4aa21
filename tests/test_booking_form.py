"""The booking form as a first-time officer reads it: short, plain, with the end time shown."""

import re

from tests.test_booking_pages import booking_form


def details_of(page: str) -> str:
    """The markup of the 「繰り返して予約する」 disclosure."""
    return re.search(
        r"<details[^>]*>\s*<summary>繰り返して予約する</summary>.*?</details>", page, re.S
    ).group(0)


def test_the_repeat_options_wait_behind_a_closed_disclosure(officer_client, room, now):
    page = officer_client.get(f"/rooms/{room.id}/reserve?day=2025-04-08&start=14:00").get_data(
        as_text=True
    )
    repeat = details_of(page)
    assert repeat.startswith('<details class="more-options">')
    assert 'name="repeat_until"' in repeat and 'name="interval_weeks"' in repeat
    assert page.index("繰り返して予約する") < page.index(">予約する</button>")


def test_a_repeat_with_a_mistake_comes_back_open(officer_client, room, now):
    page = booking_form(officer_client, room, repeat="weekly").get_data(as_text=True)
    assert details_of(page).startswith('<details class="more-options" open>')


def test_the_end_time_is_shown_beside_the_lengths(officer_client, room, now):
    page = officer_client.get(f"/rooms/{room.id}/reserve?day=2025-04-08&start=14:00").get_data(
        as_text=True
    )
    assert "14:00〜15:00" in page
    assert "90分（15:30まで）" in page and "30分（14:30まで）" in page


def test_without_a_start_the_lengths_are_plain(officer_client, room, now):
    page = officer_client.get(f"/rooms/{room.id}/reserve").get_data(as_text=True)
    assert "90分</option>" in page and "まで）" not in page


def test_the_step_rule_comes_before_the_time_field(officer_client, make_room, now):
    room = make_room(slot_minutes=15)
    page = officer_client.get(f"/rooms/{room.id}/reserve").get_data(as_text=True)
    rule = page.index("開始時刻は15分単位です")
    assert rule < page.index('name="start"')


def test_the_safety_choices_are_in_plain_words(officer_client, room, now):
    page = officer_client.get(f"/rooms/{room.id}/reserve").get_data(as_text=True)
    assert "保護観察官は、保護観察所で働く国の職員です。" in page
    assert "職員に特に気をつけて見守ってほしい" in page and "慎重な対応" not in page
