"""Login form: it checks only the shape of the input."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from booking.inputs import no_control_characters


class LoginForm(FlaskForm):
    email = StringField(
        _l("メールアドレス"),
        validators=[
            DataRequired(_l("メールアドレスを入力してください。")),
            Length(max=254, message=_l("長すぎます。")),
            no_control_characters,
        ],
        render_kw={"autocomplete": "username", "type": "email", "inputmode": "email"},
    )
    password = PasswordField(
        _l("パスワード"),
        validators=[
            DataRequired(_l("パスワードを入力してください。")),
            Length(max=1024, message=_l("長すぎます。")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class CodeForm(FlaskForm):
    """The second step of a login, and the confirmation of a new authenticator app."""

    code = StringField(
        _l("確認コード"),
        validators=[
            DataRequired(_l("確認コードを入力してください。")),
            Length(max=32, message=_l("長すぎます。")),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"},
    )

    def attach(self, error) -> None:
        """Show a service error next to the code."""
        self.code.errors = [*self.code.errors, error.message]
