"""The shape of what is typed on /account."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from booking.auth.forms import NewPasswordForm, typed_password
from booking.errors import DomainError
from booking.fields import ChoiceField, kana_reading, national_phone, plausible_email
from booking.inputs import no_control_characters
from booking.rooms.models import Ward


class PasswordChangeForm(NewPasswordForm):
    """The new password twice (as from a link), and the current one."""

    current_password = typed_password(
        _l("今のパスワード"), _l("今のパスワードを入力してください。")
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


def phone_number(_form, field) -> None:
    """Keep the number as 011-211-2345; refuse one that is not a Japanese number."""
    if field.data:
        field.data = national_phone(field.data) or field.data
        if national_phone(field.data) is None:
            raise ValidationError(_l("電話番号は 090-1234-5678 のように入力してください。"))


def reading(_form, field) -> None:
    if field.data:
        field.data = kana_reading(field.data) or field.data
        if kana_reading(field.data) is None:
            raise ValidationError(_l("ふりがなは、ひらがなかカタカナで入力してください。"))


class DetailsForm(FlaskForm):
    """One's own phone, home ward and the reading of one's name."""

    name_kana = StringField(
        _l("お名前のふりがな"),
        filters=[lambda value: value.strip() if value else value],
        validators=[Length(max=100, message=_l("長すぎます。")), no_control_characters, reading],
    )
    phone = StringField(
        _l("電話番号"),
        validators=[
            Length(max=32, message=_l("長すぎます。")),
            no_control_characters,
            phone_number,
        ],
        render_kw={"type": "tel", "autocomplete": "tel"},
    )
    home_ward = ChoiceField(_l("いつも使う区"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.home_ward.choices = [SelectChoice("", _l("決めない"))] + [
            SelectChoice(ward.value, ward.label) for ward in Ward
        ]

    def values(self) -> dict[str, str | None]:
        return {
            "name_kana": self.name_kana.data or None,
            "phone": self.phone.data or None,
            "home_ward": self.home_ward.data or None,
        }


def email_address(_form, field) -> None:
    if field.data:
        field.data = plausible_email(field.data) or field.data
        if plausible_email(field.data) is None:
            raise ValidationError(_l("メールアドレスは taro@example.jp のように入力してください。"))


class EmailChangeForm(FlaskForm):
    """A new address, which takes effect once a link sent to it is opened."""

    new_email = StringField(
        _l("新しいメールアドレス"),
        validators=[
            DataRequired(_l("新しいメールアドレスを入力してください。")),
            Length(max=254, message=_l("長すぎます。")),
            no_control_characters,
            email_address,
        ],
        render_kw={"type": "email", "autocomplete": "email", "inputmode": "email"},
    )
    email_password = typed_password(
        _l("ご本人確認のため、お使いのパスワード"), _l("今のパスワードを入力してください。")
    )

    attach = PasswordChangeForm.attach


class ConfirmPasswordForm(FlaskForm):
    """One's own password, typed again before a sensitive change."""

    password = typed_password(_l("パスワード"), _l("パスワードを入力してください。"))
    next = HiddenField()

    def attach(self, error: DomainError) -> None:
        self.password.errors = [*self.password.errors, error.message]
