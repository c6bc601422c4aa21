"""Settings of the booking application, every one read from the environment."""

import os
from datetime import timedelta
from typing import ClassVar


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no setting; unset means ``default``."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def secret(name: str, default: str | None = None) -> str | None:
    """A secret setting: NAME, or the contents of the file that NAME_FILE names.

    With NAME_FILE the secret need not sit in the environment file: systemd hands it over
    as a credential, kept encrypted on disk (deploy/systemd/booking-secrets.conf).
    """
    path = os.environ.get(f"{name}_FILE")
    if path:
        with open(path, encoding="utf-8") as file:
            return file.read().strip()
    return os.environ.get(name) or default


def env_int(name: str, default: int) -> int:
    """Read a whole-number setting; unset means ``default``."""
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


class Config:
    """One place for every setting; each can be overridden by an environment variable."""

    APP_ENV = os.environ.get("APP_ENV", "development")
    PRODUCTION = APP_ENV == "production"

    SECRET_KEY = secret("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = secret("DATABASE_URL", "sqlite:///booking.sqlite3")
    # An error's message never quotes the values of its statement: they would reach the log.
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True, "hide_parameters": True}
    SQLITE_BUSY_TIMEOUT_MS = env_int("SQLITE_BUSY_TIMEOUT_MS", 15000)

    # No form of this app comes near 1 MB; a larger body is refused (413) before it is parsed.
    # A route that takes files allows more with booking.inputs.accepts_up_to.
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 1024 * 1024)

    # An officer may take an hour over a form: the CSRF token stays bound to the session
    # but never expires on its own.
    WTF_CSRF_TIME_LIMIT = None
    # Every form message is our own plain Japanese; WTForms' catalogue is technical, and
    # loading it on each request costs about a millisecond.
    WTF_I18N_ENABLED = False
    # A login lasts a day at the desk from when it began, and ends sooner when the browser
    # has not been used for SESSION_IDLE_HOURS (long enough for an hour over a form).
    PERMANENT_SESSION_LIFETIME = timedelta(hours=env_int("SESSION_HOURS", 14))
    SESSION_IDLE = timedelta(hours=env_int("SESSION_IDLE_HOURS", 4))
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
    # __Host-: the browser keeps it only if Secure, for Path=/ and without a Domain.
    SESSION_COOKIE_NAME = "__Host-session" if SESSION_COOKIE_SECURE else "session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    PREFERRED_URL_SCHEME = "https" if PRODUCTION else "http"

    BABEL_DEFAULT_LOCALE = "ja"
    BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"
    LANGUAGES = ("ja", "en")

    # memory:// counts in each worker: use Redis as soon as there is more than one.
    RATELIMIT_STORAGE_URI = secret("RATELIMIT_STORAGE_URI", "memory://")
    # How many proxies stand in front of the app and set X-Forwarded-For/-Proto; 0 trusts none.
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    # Any page, per client address: far above a person's pace, even many phones behind one
    # carrier address, but it stops a script.
    PAGE_LIMIT_PER_IP = os.environ.get("PAGE_LIMIT_PER_IP", "300 per minute")
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "30 per 10 minutes")
    # New passwords are checked against known breaches here (k-anonymity: only 5 hex digits
    # of a SHA-1 leave the server); empty switches it off. Unreachable = local rules only.
    PWNED_PASSWORDS_URL = os.environ.get(
        "PWNED_PASSWORDS_URL", "https://api.pwnedpasswords.com/range/"
    )
    PWNED_PASSWORDS_TIMEOUT = float(os.environ.get("PWNED_PASSWORDS_TIMEOUT", "3"))
    # After this many failed logins within an hour, the account's owner is told by e-mail.
    FAILED_LOGINS_BEFORE_WARNING = env_int("FAILED_LOGINS_BEFORE_WARNING", 5)
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "10 per 10 minutes")
    # "Forgot password": requests per e-mail address (whoever asks) and per client.
    PASSWORD_RESET_LIMIT_PER_ADDRESS = os.environ.get(
        "PASSWORD_RESET_LIMIT_PER_ADDRESS", "3 per hour"
    )
    PASSWORD_RESET_LIMIT_PER_IP = os.environ.get("PASSWORD_RESET_LIMIT_PER_IP", "20 per hour")

    # One JSON line per request on standard error (gunicorn passes it on to its log).
    REQUEST_LOG = env_bool("REQUEST_LOG", PRODUCTION)

    # Where feed bodies are kept by ETag: unset = instance/feed-cache, redis://... , or off.
    FEED_CACHE_URL = secret("FEED_CACHE_URL", "")

    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    MAX_FUTURE_RESERVATIONS = env_int("MAX_FUTURE_RESERVATIONS", 20)
    SERIES_MAX_DAYS = env_int("SERIES_MAX_DAYS", 183)
    # Find-a-room searches every ward up to this many rooms; beyond, a ward and its neighbours.
    FIND_EVERY_WARD_UP_TO = env_int("FIND_EVERY_WARD_UP_TO", 100)

    SAFETY_GRACE_MINUTES = env_int("SAFETY_GRACE_MINUTES", 15)
    # Notes for the desk are cleared this many days after the interview ends.
    SAFETY_NOTE_RETENTION_DAYS = env_int("SAFETY_NOTE_RETENTION_DAYS", 90)
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)  # STARTTLS on a plain connection
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)  # TLS from the start (port 465)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = secret("MAIL_PASSWORD")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "booking@localhost")
    # A message the server does not take is tried again after 1, 2, 4 ... times this (at most
    # an hour apart), and shown to admins as failed after this many attempts.
    MAIL_RETRY_SECONDS = env_int("MAIL_RETRY_SECONDS", 60)
    MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 10)
    # From this time of day (Asia/Tokyo) the sender writes reminders of the next day's interviews.
    MAIL_REMINDER_TIME = os.environ.get("MAIL_REMINDER_TIME", "17:00")
