"""The shape of what is typed on /account."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from booking.errors import DomainError


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("今のパスワード"),
        validators=[
            DataRequired(_l("今のパスワードを入力してください。")),
            Length(max=1024, message=_l("長すぎます。")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    # Every character is allowed, spaces too; the rules are in booking.auth.passwords.
    new_password = PasswordField(
        _l("新しいパスワード"),
        validators=[DataRequired(_l("新しいパスワードを入力してください。"))],
        render_kw={"autocomplete": "new-password"},
    )
    new_password_again = PasswordField(
        _l("新しいパスワード（確認のため、もう一度）"),
        validators=[
            DataRequired(_l("確認のため、新しいパスワードをもう一度入力してください。")),
            EqualTo("new_password", message=_l("新しいパスワードが一致しません。")),
        ],
        render_kw={"autocomplete": "new-password"},
    )

    def attach(self, error: DomainError) -> None:
        """Show a service error next to the field it concerns, or above the form."""
        target = getattr(self, error.field, None) if error.field else None
        if target is not None:
            target.errors = [*target.errors, error.message]
        else:
            self.form_errors.append(error.message)


class MailChoiceForm(FlaskForm):
    """Which e-mails the officer wants; cancellations by the desk or the city always come."""

    wants_confirmations = BooleanField(_l("自分で予約・変更・取り消しをした時の確認メール"))
    wants_reminders = BooleanField(_l("面談の前の日のお知らせ（夕方）"))

    def values(self) -> dict[str, bool]:
        return {
            "wants_confirmations": bool(self.wants_confirmations.data),
            "wants_reminders": bool(self.wants_reminders.data),
        }
