"""What `make load` asks of the server: officers finding and booking rooms, desks watching
their board, calendar apps polling feeds. bench/load.py makes the data and passes it in
LOAD_* environment variables; run alone only through it.
"""

import json
import os
import random
import re
from datetime import date, timedelta

import pyotp
from locust import HttpUser, between, constant, task

DATA = json.loads(os.environ.get("LOAD_DATA", "{}"))
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key"(?: type="hidden")? value="([^"]+)"')
FREE_SLOT = re.compile(r'href="(/rooms/\d+/reserve\?day=[\d-]+&amp;start=[\d:]+)"')
RESERVATION = re.compile(r"/reservations/([0-9a-f-]{36})$")


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    return found.group(1) if found else ""


class Officer(HttpUser):
    """Finds a free room, looks at its week, now and then books a slot and cancels it again
    (so that the future-booking limit never stops the run)."""

    weight = 6
    wait_time = between(2, 6)

    def on_start(self):
        self.email = random.choice(DATA["officers"])
        page = self.client.get("/login", name="login page")
        self.client.post(
            "/login",
            data={
                "email": self.email,
                "password": DATA["password"],
                "csrf_token": csrf_of(page.text),
            },
            name="login",
        )

    @task(4)
    def find(self):
        day = date.today() + timedelta(days=random.randint(1, 14))
        ward = random.choice(DATA["wards"])
        self.client.get(f"/?day={day.isoformat()}&ward={ward}", name="find a room")

    @task(3)
    def week(self):
        self.client.get(f"/rooms/{random.choice(DATA['rooms'])}/week", name="a room's week")

    @task(2)
    def mine(self):
        self.client.get("/reservations/", name="my reservations")

    @task(1)
    def book_and_cancel(self):
        week = self.client.get(f"/rooms/{random.choice(DATA['rooms'])}/week", name="a room's week")
        slots = FREE_SLOT.findall(week.text)
        if not slots:
            return
        form_path = random.choice(slots).replace("&amp;", "&")
        form = self.client.get(form_path, name="booking form")
        day, start = re.search(r"day=([\d-]+)&start=([\d:]+)", form_path).groups()
        key = KEY.search(form.text)
        data = {
            "day": day,
            "start": start,
            "minutes": "60",
            "probation_officer": "none",
            "idempotency_key": key.group(1) if key else "",
            "csrf_token": csrf_of(form.text),
        }
        path = form_path.split("?")[0]
        with self.client.post(
            path, data=data, name="book", allow_redirects=False, catch_response=True
        ) as answer:
            if answer.status_code in (409, 422):  # someone was quicker, or an hour too long
                answer.success()
                return
            if answer.status_code != 302:
                answer.failure(f"booking answered {answer.status_code}")
                return
        found = RESERVATION.search(answer.headers.get("Location", ""))
        if found:
            self.client.post(
                f"/reservations/{found.group(1)}/cancel",
                data={"csrf_token": csrf_of(form.text)},
                name="cancel",
            )


class Desk(HttpUser):
    """A facility's desk: the safety board, refreshed every minute."""

    weight = 1
    wait_time = constant(60)

    def on_start(self):
        desk = random.choice(DATA["desks"])
        page = self.client.get("/login", name="login page")
        answer = self.client.post(
            "/login",
            data={
                "email": desk["email"],
                "password": DATA["password"],
                "csrf_token": csrf_of(page.text),
            },
            name="login",
        )
        code = pyotp.TOTP(desk["secret"]).now()
        self.client.post(
            "/login/code",
            data={"code": code, "csrf_token": csrf_of(answer.text)},
            name="login code",
        )
        self.facility = desk["facility"]

    @task
    def board(self):
        self.client.get(f"/manage/facilities/{self.facility}/board", name="safety board")


class CalendarApp(HttpUser):
    """A calendar app polling a private feed, revalidating with the ETag it was given."""

    weight = 3
    wait_time = between(5, 15)

    def on_start(self):
        self.path = f"/feeds/{random.choice(DATA['feeds'])}.ics"
        self.etag = None

    @task
    def poll(self):
        headers = {"If-None-Match": self.etag} if self.etag else {}
        with self.client.get(
            self.path, headers=headers, name="feed", catch_response=True
        ) as answer:
            if answer.status_code in (200, 304):
                self.etag = answer.headers.get("ETag", self.etag)
                answer.success()
            else:
                answer.failure(f"feed answered {answer.status_code}")
