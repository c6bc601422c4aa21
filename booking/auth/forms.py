"""Login forms: they check only the shape of the input."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from booking.inputs import no_control_characters


def typed_password(label: str, missing: str) -> PasswordField:
    """The account's present password: to log in, or to confirm a change."""
    return PasswordField(
        label,
        validators=[DataRequired(missing), Length(max=1024, message=_l("長すぎます。"))],
        render_kw={"autocomplete": "current-password"},
    )


class LoginForm(FlaskForm):
    # An e-mail address, or the login id of an account without one (printed on its letter).
    email = StringField(
        _l("メールアドレス（またはログインID）"),
        validators=[
            DataRequired(_l("メールアドレスかログインIDを入力してください。")),
            Length(max=254, message=_l("長すぎます。")),
            no_control_characters,
        ],
        render_kw={"autocomplete": "username", "inputmode": "email", "spellcheck": "false"},
    )
    password = typed_password(_l("パスワード"), _l("パスワードを入力してください。"))
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    """The address a forgotten password's reset link goes to."""

    email = StringField(
        _l("メールアドレス"),
        validators=[
            DataRequired(_l("メールアドレスを入力してください。")),
            Length(max=254, message=_l("長すぎます。")),
            no_control_characters,
        ],
        render_kw={"autocomplete": "username", "type": "email", "inputmode": "email"},
    )


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


class NewPasswordForm(FlaskForm):
    """A password chosen from a link or a printed code (an invitation, a reset)."""

    # Every character is allowed, spaces too; the rules are in booking.auth.passwords.
    new_password = PasswordField(
        _l("新しいパスワード"),
        validators=[
            DataRequired(_l("新しいパスワードを入力してください。")),
            Length(max=1024, message=_l("長すぎます。")),
        ],
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

    def attach(self, error) -> None:
        """Show an unacceptable password's reason next to it."""
        self.new_password.errors = [*self.new_password.errors, error.message]


class LetterForm(FlaskForm):
    """The login id and the one-time code printed on a letter from the city."""

    login_id = StringField(
        _l("ログインID"),
        validators=[
            DataRequired(_l("ログインIDを入力してください。")),
            Length(max=32, message=_l("長すぎます。")),
            no_control_characters,
        ],
        render_kw={
            "autocomplete": "username",
            "spellcheck": "false",
            "autocapitalize": "characters",
        },
    )
    code = StringField(
        _l("確認コード"),
        validators=[
            DataRequired(_l("確認コードを入力してください。")),
            Length(max=64, message=_l("長すぎます。")),
            no_control_characters,
        ],
        render_kw={
            "autocomplete": "one-time-code",
            "spellcheck": "false",
            "autocapitalize": "characters",
        },
    )

    def attach(self, error) -> None:
        """Show the refusal next to the code."""
        self.code.errors = [*self.code.errors, error.message]
