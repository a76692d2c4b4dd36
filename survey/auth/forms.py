"""Sign-in and set-password forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from survey.services.passwords import MIN_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address", validators=[InputRequired(message="Enter your email address")]
    )
    password = PasswordField("Password", validators=[InputRequired(message="Enter your password")])


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        description=(
            f"At least {MIN_LENGTH} characters. A few unrelated words make a strong password."
        ),
        validators=[
            InputRequired(message="Enter a new password"),
            Length(
                min=MIN_LENGTH,
                max=200,
                message=f"Your password must be at least {MIN_LENGTH} characters",
            ),
        ],
    )
    confirm = PasswordField(
        "Type the password again",
        validators=[
            InputRequired(message="Type the password again"),
            EqualTo("password", message="The two passwords do not match"),
        ],
    )


class CodeForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app",
        description="The 6 digits it shows now.",
        validators=[InputRequired(message="Enter the 6-digit code from your app")],
    )
